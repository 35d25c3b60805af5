import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {v1OtaPayload} from '../../src/engine/ota/v1-payload.js';
import {engineFixture} from '../helpers/engine-fixture.js';
import {deviceTopics, RawPublisher} from '../helpers/homie-publisher.js';
import {rawGet, rawRequest, type RawResponse} from '../helpers/http.js';
import {waitFor} from '../helpers/wait-for.js';

const USER = 'admin';
const PASSWORD = 'correct horse';
const GOOD = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

/** The only routes anyone may call without credentials. A new route must either be here or ask for auth. */
const PUBLIC = ['GET /healthz', 'GET /ota'];

const world = engineFixture();

function ini(extra: string[] = []): void {
  fs.writeFileSync(path.join(world.dir, 'homie-ota.ini'), ['[global]', `HTTP_USER = ${USER}`, `HTTP_PASSWORD = ${PASSWORD}`, ...extra, ''].join('\n'));
}

/** A concrete request path for a route pattern. */
function concrete(pattern: string): string {
  return pattern.replace(/:[a-z]+/g, 'x');
}

function request(method: string, pathname: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${pathname} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

describe('basic auth on management routes', () => {
  it('asks for credentials on every route but the device OTA endpoint and /healthz', async () => {
    ini();
    const {engine} = await world.start();
    const port = engine.http.boundPort;
    const routes = engine.http.routes;
    expect(routes.length).toBeGreaterThan(20);
    // the enumeration: a route added later without auth fails here
    expect(routes.filter(r => !r.auth).map(r => `${r.method} ${r.path}`).sort()).toEqual([...PUBLIC].sort());

    const wrong = [
      {},
      {authorization: `Basic ${Buffer.from(`${USER}:wrong`).toString('base64')}`},
      {authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD} `).toString('base64')}`},
      {authorization: `Basic ${Buffer.from(`${USER}`).toString('base64')}`},
      {authorization: `Basic ${Buffer.from(`:${PASSWORD}`).toString('base64')}`},
      {authorization: `Bearer ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`},
      {authorization: 'Basic'},
      {authorization: 'Basic !!!!'},
      {authorization: `Basic ${'A'.repeat(8000)}`},
      {authorization: `basic  ${Buffer.from(`${USER.toUpperCase()}:${PASSWORD}`).toString('base64')}`},
      {authorization: `Digest username="${USER}"`},
    ];
    let asked = 0;
    for (const route of routes.filter(r => r.auth)) {
      for (const method of route.method === 'GET' ? ['GET', 'HEAD'] : [route.method]) {
        for (const headers of wrong) {
          const res = await rawRequest(port, request(method, concrete(route.path), headers as Record<string, string>, method === 'POST' ? '{"firmware":"x@1"}' : ''));
          expect(res.status, `${method} ${route.path} with ${JSON.stringify(headers).slice(0, 60)}`).toBe(401);
          expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
          asked++;
        }
        const ok = await rawRequest(port, request(method, concrete(route.path), {authorization: GOOD}));
        expect(ok.status, `${method} ${route.path} with the right credentials`).not.toBe(401);
        expect(ok.status).toBeLessThan(500);
      }
    }
    for (const route of PUBLIC) {
      const [method, pathname] = route.split(' ') as [string, string];
      const res = await rawRequest(port, request(method, pathname, {'x-ESP8266-version': 'dev=fw=1.0.0=1.0.1'}));
      expect(res.status, route).not.toBe(401);
    }
    process.stdout.write(`auth: ${routes.filter(r => r.auth).length} management routes refused ${asked} requests without valid credentials\n`);
  });

  it('refuses an unauthenticated upload before reading it: nothing is written', async () => {
    ini();
    const {engine} = await world.start();
    const root = engine.config.firmwareRoot;
    const before = fs.readdirSync(root).sort();
    const image = buildFirmwareImage({name: 'sneaky', version: '1.0.0'});
    const boundary = 'xyz';
    const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="sneaky.bin"\r\n\r\n`), image, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const head = `POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const res = await rawRequest(engine.http.boundPort, Buffer.concat([Buffer.from(head), body]));
    expect(res.status).toBe(401);
    expect(fs.readdirSync(root).sort()).toEqual(before);
    expect(engine.firmware.list()).toEqual([]);
  });

  it('asks for credentials on the OTA endpoint only with OTA_ENDPOINT_AUTH', async () => {
    ini(['OTA_ENDPOINT_AUTH = true']);
    const {engine} = await world.start();
    expect(engine.http.routes.filter(r => !r.auth).map(r => `${r.method} ${r.path}`)).toEqual(['GET /healthz']);
    const res = await rawGet(engine.http.boundPort, '/ota', {'x-ESP8266-version': 'dev=fw=1.0.0=1.0.1', 'User-Agent': 'ESP8266-http-Update'});
    expect(res.status).toBe(401);
    expect((await rawGet(engine.http.boundPort, '/healthz')).status).toBe(200);
  });
});

describe('the OTA endpoint serves firmware images meant for the asking device, and nothing else', () => {
  it('never hands out state files, descriptions, rejected files or another device\'s job image', async () => {
    ini();
    const root = path.join(world.dir, 'firmwares');
    fs.mkdirSync(path.join(root, 'rejected'), {recursive: true});
    const images = new Map<string, Buffer>();
    for (const [name, version] of [['relay', '1.0.0'], ['relay', '1.1.0'], ['secret', '9.9.9'], ['sensor', '1.0.0']] as const) {
      const data = buildFirmwareImage({name, version, size: 20_000});
      fs.writeFileSync(path.join(root, `${name}-${version}.bin`), data);
      images.set(crypto.createHash('md5').update(data).digest('hex'), data);
    }
    fs.writeFileSync(path.join(root, 'secret-9.9.9.txt'), 'the door code is 4711\n');
    fs.writeFileSync(path.join(root, 'rejected', 'x.bin'), 'rejected content');
    fs.writeFileSync(path.join(root, 'notes.txt'), 'private notes');
    const {engine: e} = await world.start({overrides: {prefix: 'homie,devices'}});
    await waitFor(() => e.firmware.list().length === 4, 'store loaded');
    const publisher = await RawPublisher.connect(e.broker!.boundPort);
    for (const [id, fw] of [['old-a', 'relay'], ['old-b', 'sensor']] as const) {
      for (const [topic, payload] of deviceTopics('v1', 'devices', id, {fw, version: '1.0.0'})) await publisher.publish(topic, payload);
    }
    await publisher.flush();
    await waitFor(() => e.inventory.get('devices/old-a')?.fw.version && e.inventory.get('devices/old-b')?.fw.version && e.inventory.discoveryStatus.completedAt, 'devices');
    // old-a has a job: change it to the "secret" firmware; its $ota goes out and it may download now
    const created = e.ota.create({deviceKeys: ['devices/old-a'], firmware: {name: 'secret', version: '9.9.9'}});
    expect(created.jobs, JSON.stringify(created)).toHaveLength(1);
    await waitFor(() => e.ota.get(created.jobs[0]!.id)?.state === 'sending', 'the $ota sent');
    const payload = v1OtaPayload('secret', '9.9.9')!;
    const secrets = ['jobs.json', 'inventory.json', 'firmware-cache.json'].map(f => fs.existsSync(path.join(root, f)) ? fs.readFileSync(path.join(root, f)) : Buffer.alloc(0));
    const port = e.http.boundPort;
    const esp = (version: string, extra: Record<string, string> = {}) => ({'User-Agent': 'ESP8266-http-Update', 'x-ESP8266-STA-MAC': '18:FE:34:00:00:09', 'x-ESP8266-free-space': '1000000', ...(version ? {'x-ESP8266-version': version} : {}), ...extra});

    const attempts: Array<[string, string, Record<string, string>]> = [];
    const paths = ['/ota/../jobs.json', '/ota/jobs.json', '/jobs.json', '/inventory.json', '/firmware-cache.json', '/secret-9.9.9.txt', '/secret-9.9.9.bin',
      '/rejected/x.bin', '/notes.txt', '/%2e%2e/jobs.json', '/ota%2f..%2fjobs.json', '/ota%2Fjobs.json', '/firmwares/jobs.json', '//jobs.json', '/ota/', '/ota//',
      '/ota?file=../jobs.json', '/ota;jobs.json', '/ota%00.json', '/ota/..%5cjobs.json', '/OTA', '/ota/secret-9.9.9.bin'];
    for (const p of paths) {
      attempts.push([p, 'no headers', {}]);
      attempts.push([p, 'as a device', esp('old-b=sensor=1.0.0=')]);
    }
    const headerTricks = ['old-b=sensor=1.0.0=' + payload, 'mallory=relay=0.0.1=' + payload, 'old-b=../jobs=1.0.0=', 'old-b=jobs.json=0=', 'old-b=inventory=0=',
      'old-b=sensor=1.0.0=../../jobs.json', 'old-b=sensor=1.0.0=9.9.9', 'old-b=secret-9.9.9.txt=0=', 'old-b=firmware-cache=0=', 'old-b=sensor=0=../secret-9.9.9',
      'old-b=..=..=..', 'x=notes=0=', 'x=rejected/x=0=', 'x=secret/../relay=0=', 'old-b=sensor@1.0.0->' + payload, 'jobs.json', '../../inventory.json',
      'sensor@0.0.1', 'old-b=sensor=1.0.0=secret@9.9.9'];
    for (const version of headerTricks) attempts.push(['/ota', version, esp(version)]);
    attempts.push(['/ota', 'another device\'s MAC', esp('', {'x-ESP8266-STA-MAC': 'AA:BB:CC:DD:EE:FF'})]);

    let served = 0;
    for (const [p, what, headers] of attempts) {
      const res: RawResponse = await rawGet(port, p, headers);
      expect(res.status, `${p} ${what}`).not.toBe(0);
      expect(res.status, `${p} ${what}`).toBeLessThan(500);
      for (const secret of secrets) if (secret.length > 0) expect(res.body.includes(secret.subarray(0, 64)), `${p} ${what} leaked a state file`).toBe(false);
      for (const text of ['door code', 'private notes', 'rejected content', '"format":"homie-ota-inventory"', '"history":']) {
        expect(res.body.toString('latin1'), `${p} ${what}`).not.toContain(text);
      }
      if (res.status === 200) {
        served++;
        const md5 = crypto.createHash('md5').update(res.body).digest('hex');
        expect(images.has(md5), `${p} ${what}: served something that is not a stored image`).toBe(true);
        // the only image anyone but old-a may get: a newer build of the firmware it says it runs
        expect(images.get(md5)!.equals(fs.readFileSync(path.join(root, 'secret-9.9.9.bin'))), `${p} ${what} got old-a's job image`).toBe(false);
      }
    }
    // the job's own device gets its image
    const mine = await rawGet(port, '/ota', esp(`old-a=relay=1.0.0=${payload}`));
    expect(mine.status).toBe(200);
    expect(mine.body.equals(fs.readFileSync(path.join(root, 'secret-9.9.9.bin')))).toBe(true);
    process.stdout.write(`OTA endpoint: ${attempts.length} attempts, ${served} served a newer build of the claimed firmware, none served anything else\n`);
  });
});
