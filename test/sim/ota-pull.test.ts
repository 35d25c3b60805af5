import http from 'node:http';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {startFleet, type DeviceSpec, type Fleet, type SimDevice} from '../../src/sim/index.js';
import {startAedes, type TestBroker} from '../helpers/aedes.js';
import {sleep} from '../helpers/wait-for.js';
import {md5, observe, recordBroker, until, type Observed, type Seen} from './sim-helpers.js';

/**
 * Homie 1.x OTA (protocols.md §2.1): `$ota` with a different version of at most 16 characters makes
 * the device reboot into OTA mode (the will says `$online` false), pull the image over HTTP as
 * ESP8266httpUpdate from core 2.3.0 does, and come back with the new `$fwversion`. No status topic.
 */
interface Request {
  readonly httpVersion: string;
  readonly headers: Array<[string, string]>;
}

let broker: TestBroker;
let seen: Seen[];
let server: http.Server;
let port: number;
let requests: Request[] = [];
let respond: (res: http.ServerResponse) => void = res => res.writeHead(304).end();
let watcher: {client: import('mqtt').MqttClient; messages: Observed[]; close: () => Promise<void>};
let fleet: Fleet | null = null;
let counter = 0;

beforeAll(async () => {
  broker = await startAedes();
  seen = recordBroker(broker.aedes);
  server = http.createServer((req, res) => {
    const headers: Array<[string, string]> = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    requests.push({httpVersion: req.httpVersion, headers});
    respond(res);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as import('node:net').AddressInfo).port;
  watcher = await observe(broker.url, ['devices/#'], {qos: 2});
});
afterEach(async () => {
  await fleet?.stop();
  fleet = null;
  requests = [];
});
afterAll(async () => {
  await watcher.close();
  await new Promise<void>(resolve => server.close(() => resolve()));
  await broker.close();
});

async function v1Device(spec: DeviceSpec = {}): Promise<SimDevice> {
  const id = `${(0xc631f200 + ++counter).toString(16)}`;
  fleet = startFleet({url: broker.url, specs: [{id, generation: 'v1', fw: 'awesome-light@1.0.0', ...spec}], otaHttpUrl: `http://127.0.0.1:${port}/ota`, rebootDelay: 150, flashSpeed: 8_000_000});
  await fleet.waitAllAdvertised(5000);
  return fleet.devices[0]!;
}

const header = (r: Request, name: string) => r.headers.find(([n]) => n === name)?.[1];

describe('Homie 1.x: $ota, then the HTTP pull', () => {
  it('a new version: the will, the GET with the v1.3–1.5 version header, then back with the new $fwversion', async () => {
    const d = await v1Device();
    const bin = buildFirmwareImage({name: 'awesome-light', version: '1.1.0', size: 30_000});
    respond = res => res.writeHead(200, {'Content-Length': String(bin.length), 'x-MD5': md5(bin)}).end(bin);
    const from = watcher.messages.length;
    const back = d.waitFor('rebooted');
    await watcher.client.publishAsync(`${d.root}/$ota`, '1.1.0', {qos: 1});
    const [info] = await back;
    expect(info.fw.version).toBe('1.1.0');
    expect(requests).toHaveLength(1);
    const r = requests[0]!;
    expect(r.httpVersion).toBe('1.0');
    expect(r.headers.map(([n]) => n)).toEqual([
      'Host', 'User-Agent', 'Connection', 'x-ESP8266-STA-MAC', 'x-ESP8266-AP-MAC', 'x-ESP8266-free-space',
      'x-ESP8266-sketch-size', 'x-ESP8266-chip-size', 'x-ESP8266-sdk-version', 'x-ESP8266-mode', 'x-ESP8266-version',
    ]);
    expect(header(r, 'Host')).toBe(`127.0.0.1:${port}`);
    expect(header(r, 'User-Agent')).toBe('ESP8266-http-Update');
    expect(header(r, 'x-ESP8266-version')).toBe(`${d.id}=awesome-light=1.0.0=1.1.0`);
    expect(header(r, 'x-ESP8266-STA-MAC')).toBe(d.identity.mac);
    expect(Number(header(r, 'x-ESP8266-free-space'))).toBe(1_048_576 - Math.ceil(Number(header(r, 'x-ESP8266-sketch-size')) / 4096) * 4096);
    await until(() => watcher.messages.slice(from).some(m => m.topic === `${d.root}/$fwversion` && m.payload === '1.1.0'), 'the new $fwversion at the watcher');
    const all = watcher.messages.slice(from).filter(m => m.topic.startsWith(`${d.root}/`)).map(m => `${m.topic.slice(d.root.length + 1)}=${m.payload}`);
    const after = all.slice(all.indexOf('$ota=1.1.0')); // (the tail of the advertisement may still be arriving before it)
    expect(after[0]).toBe('$ota=1.1.0');
    expect(after[1]).toBe('$online=false'); // the will: OTA mode does not talk MQTT
    expect(after.indexOf('$online=true')).toBeGreaterThan(1);
    expect(after.indexOf('$fwversion=1.1.0')).toBeGreaterThan(after.indexOf('$online=true'));
    expect(after.some(m => m.includes('ota/status'))).toBe(false); // v1 publishes no status
  });

  it('304 means no update: back on the old version', async () => {
    const d = await v1Device();
    respond = res => res.writeHead(304).end();
    const back = d.waitFor('rebooted');
    await watcher.client.publishAsync(`${d.root}/$ota`, '2.0.0', {qos: 1});
    const [info] = await back;
    expect(info.fw.version).toBe('1.0.0');
    expect(d.lastPull).toMatchObject({result: 'no-update'});
  });

  it('ORIG\'s hashed target (name hash@version) goes into the header as is; a sketch without markers keeps its name', async () => {
    const d = await v1Device();
    const bin = buildFirmwareImage({name: 'x', version: 'y', size: 20_000, markers: false});
    respond = res => res.writeHead(200, {'Content-Length': String(bin.length)}).end(bin);
    const back = d.waitFor('rebooted');
    await watcher.client.publishAsync(`${d.root}/$ota`, 'a75ebc7c7f@1.0.1', {qos: 1});
    const [info] = await back;
    expect(header(requests[0]!, 'x-ESP8266-version')).toBe(`${d.id}=awesome-light=1.0.0=a75ebc7c7f@1.0.1`);
    expect(info.fw).toMatchObject({name: 'awesome-light', version: 'a75ebc7c7f@1.0.1'});
  });

  it('the same version, or one longer than 16 characters, is ignored: no reboot, no request', async () => {
    const d = await v1Device();
    await watcher.client.publishAsync(`${d.root}/$ota`, '1.0.0', {qos: 1});
    await watcher.client.publishAsync(`${d.root}/$ota`, '1.0.0-beta+exp.12345', {qos: 1});
    await watcher.client.publishAsync(`${d.root}/light/on/set`, 'true', {qos: 1});
    await until(() => d.value('light', 'on') === 'true', 'the /set after the $ota messages');
    await sleep(300);
    expect(requests).toEqual([]);
    expect(d.state).toBe('ready');
  });

  it('with OTA disabled the device does not even subscribe to $ota', async () => {
    const d = await v1Device({faults: {otaDisabled: true}});
    expect(seen.filter(s => s.kind === 'sub' && s.client === `Homie-${d.id}`).map(s => s.topic)).toEqual([`${d.root}/+/+/set`, `${d.root}/$reset`]);
    await watcher.client.publishAsync(`${d.root}/$ota`, '1.1.0', {qos: 1});
    await sleep(400);
    expect(requests).toEqual([]);
    expect(d.state).toBe('ready');
  });

  it('a failed download (flash error) reboots into normal mode on the old version', async () => {
    const d = await v1Device({faults: {flashErrorAt: 50}});
    const bin = buildFirmwareImage({name: 'awesome-light', version: '1.1.0', size: 30_000});
    respond = res => res.writeHead(200, {'Content-Length': String(bin.length)}).end(bin);
    const back = d.waitFor('rebooted');
    await watcher.client.publishAsync(`${d.root}/$ota`, '1.1.0', {qos: 1});
    const [info] = await back;
    expect(info.fw.version).toBe('1.0.0');
    expect(d.lastPull).toMatchObject({result: 'failed', error: 'UPDATE_ERROR_WRITE'});
  });
});
