import crypto from 'node:crypto';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import {beforeEach, describe, expect, it} from 'vitest';
import type {Engine} from '../../src/engine/engine.js';
import {httpUpdateCheck, type HttpUpdateParams} from '../../src/sim/index.js';
import {engineFixture} from '../helpers/engine-fixture.js';
import {rawGet, rawRequest} from '../helpers/http.js';
import {waitFor} from '../helpers/wait-for.js';
import {writeFirmware} from './helpers.js';

const world = engineFixture();
let dir: string;
let engine: Engine;
let url: string;
beforeEach(async () => {
  dir = world.dir;
  writeFirmware(dir, 'relay-1.0.0.bin', {name: 'relay', version: '1.0.0', size: 80_000});
  writeFirmware(dir, 'relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 90_000});
  writeFirmware(dir, 'cam-2.0.0.bin', {name: 'cam', version: '2.0.0', chip: 'esp32', size: 120_000});
  writeFirmware(dir, 'big-1.0.0.bin', {name: 'big', version: '1.0.0', size: 700_000});
  writeFirmware(dir, 'big-1.1.0.bin', {name: 'big', version: '1.1.0', size: 700_000});
  ({engine} = await world.start());
  for (const f of ['relay-1.1.0.bin', 'cam-2.0.0.bin', 'big-1.1.0.bin']) await waitFor(() => engine.firmware.byFile(f), f);
  url = `http://127.0.0.1:${engine.http.boundPort}/ota`;
});

const size = (file: string) => fs.statSync(path.join(dir, 'firmwares', file)).size;
const md5 = (file: string) => crypto.createHash('md5').update(fs.readFileSync(path.join(dir, 'firmwares', file))).digest('hex');

const esp8266 = (patch: Partial<HttpUpdateParams> = {}): HttpUpdateParams => ({
  chip: 'esp8266', core: '2.7.4', staMac: '18:FE:34:D4:06:55', apMac: '1A:FE:34:D4:06:55', freeSpace: 679_936, sketchSize: 367_776,
  sketchMd5: 'f'.repeat(32), chipSize: 4_194_304, chipId: 13958690, ...patch,
});

describe('GET /ota for ESP8266/ESP32 update clients', () => {
  it('serves a newer build of the firmware a Homie 1.x device runs: 200, Content-Length, lowercase x-MD5', async () => {
    const result = await httpUpdateCheck(url, esp8266({core: '2.3.0', sketchMd5: md5('relay-1.0.0.bin'), currentVersion: 'c631f278=relay=1.0.0='}));
    expect(result).toMatchObject({result: 'ok', status: 200, md5: md5('relay-1.1.0.bin')});
    if (result.result === 'ok') expect(result.image.equals(fs.readFileSync(path.join(dir, 'firmwares/relay-1.1.0.bin')))).toBe(true);
    const raw = await rawGet(engine.http.boundPort, '/ota', {'User-Agent': 'ESP8266-http-Update', 'x-ESP8266-version': 'c631f278=relay=1.0.0='});
    expect(raw.status).toBe(200);
    expect(raw.headers['content-length']).toBe(String(size('relay-1.1.0.bin')));
    expect(raw.headers['x-md5']).toBe(md5('relay-1.1.0.bin'));
    expect(raw.headers['transfer-encoding']).toBeUndefined();
    expect(raw.headers['content-encoding']).toBeUndefined();
    expect(raw.body.length).toBe(size('relay-1.1.0.bin'));
  });

  it('answers 304 with no body when the device already runs the newest build', async () => {
    const result = await httpUpdateCheck(url, esp8266({sketchMd5: md5('relay-1.1.0.bin'), currentVersion: 'relay@1.1.0'}));
    expect(result).toMatchObject({result: 'no-update', status: 304});
    const raw = await rawGet(engine.http.boundPort, '/ota', {'User-Agent': 'ESP8266-http-Update', 'x-ESP8266-version': 'c631f278=relay=1.1.0='});
    expect(raw.status).toBe(304);
    expect(raw.body.length).toBe(0);
  });

  it('knows a plain sketch by the MD5 of what it runs', async () => {
    const result = await httpUpdateCheck(url, esp8266({sketchMd5: md5('relay-1.0.0.bin')}));
    expect(result).toMatchObject({result: 'ok', md5: md5('relay-1.1.0.bin')});
  });

  it('refuses (403, never 200) an image that does not fit the free space the device reports', async () => {
    const raw = await rawGet(engine.http.boundPort, '/ota', {'User-Agent': 'ESP8266-http-Update', 'x-ESP8266-free-space': '500000', 'x-ESP8266-version': 'x1=big=1.0.0='});
    expect(raw.status).toBe(403);
    expect(raw.body.toString()).toMatch(/does not fit the 500000 bytes/);
  });

  it('never serves an ESP32 image to an ESP8266 or the reverse', async () => {
    const toEsp8266 = await rawGet(engine.http.boundPort, '/ota', {'User-Agent': 'ESP8266-http-Update', 'x-ESP8266-version': 'x1=cam=1.0.0='});
    expect(toEsp8266.status).toBe(403);
    const esp32 = await httpUpdateCheck(url, {chip: 'esp32', staMac: '24:0A:C4:00:00:01', apMac: '24:0A:C4:00:00:02', freeSpace: 1_310_720, sketchSize: 900_000, sketchMd5: 'e'.repeat(32), chipSize: 4_194_304, currentVersion: 'relay@1.0.0'});
    expect(esp32).toMatchObject({result: 'failed', status: 403});
    const camera = await httpUpdateCheck(url, {chip: 'esp32', staMac: '24:0A:C4:00:00:01', apMac: '24:0A:C4:00:00:02', freeSpace: 1_310_720, sketchSize: 900_000, sketchMd5: 'e'.repeat(32), chipSize: 4_194_304, currentVersion: 'cam@1.9.0'});
    expect(camera).toMatchObject({result: 'ok', status: 200});
  });

  it('answers odd requests without a firmware body: no headers, unknown firmware, spiffs, HTTP/1.1 with mixed case', async () => {
    expect((await rawGet(engine.http.boundPort, '/ota')).status).toBe(403);
    expect((await rawGet(engine.http.boundPort, '/ota', {'User-Agent': 'ESP8266-http-Update', 'x-ESP8266-version': 'id=nothing=1.0=' })).status).toBe(304);
    expect((await rawGet(engine.http.boundPort, '/ota', {'User-Agent': 'ESP8266-http-Update', 'x-ESP8266-mode': 'spiffs', 'x-ESP8266-version': 'id=relay=1.0.0='})).status).toBe(304);
    const mixed = await rawRequest(engine.http.boundPort, 'GET /ota HTTP/1.1\r\nHost: 127.0.0.1\r\nUSER-AGENT: ESP8266-http-Update\r\nX-Esp8266-Version: id=relay=1.0.0=\r\nConnection: close\r\n\r\n');
    expect(mixed.status).toBe(200);
    expect(mixed.headers['content-length']).toBe(String(size('relay-1.1.0.bin')));
    const head = await rawRequest(engine.http.boundPort, 'HEAD /ota HTTP/1.0\r\nUser-Agent: ESP8266-http-Update\r\nx-ESP8266-version: id=relay=1.0.0=\r\n\r\n');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('keeps serving other clients while many slow downloads are open', async () => {
    const slow = await Promise.all(Array.from({length: 20}, () => new Promise<net.Socket>(resolve => {
      const s = net.connect(engine.http.boundPort, '127.0.0.1', () => {
        s.write('GET /ota HTTP/1.0\r\nUser-Agent: ESP8266-http-Update\r\nx-ESP8266-version: id=relay=1.0.0=\r\n\r\n');
        s.pause();
        resolve(s);
      });
    })));
    const started = Date.now();
    const health = await fetch(`http://127.0.0.1:${engine.http.boundPort}/healthz`);
    expect(health.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    for (const s of slow) s.destroy();
  });
});
