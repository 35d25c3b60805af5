import zlib from 'node:zlib';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import type {MqttClient} from 'mqtt';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {startFleet, type DeviceSpec, type Fleet, type SimDevice} from '../../src/sim/index.js';
import {startAedes, type TestBroker} from '../helpers/aedes.js';
import {runMosquittoTests, startMosquitto} from '../helpers/mosquitto.js';
import {sleep} from '../helpers/wait-for.js';
import {md5, observe, recordBroker, until, type Observed, type Seen} from './sim-helpers.js';

/**
 * homie-esp8266 MQTT push OTA from the device side, checked against protocols.md §2.3 with a plain
 * MQTT.js controller: status codes and their order, the md5 and base64 rules, the reboot with the
 * will, and the new version advertised afterwards.
 */
const TERMINAL = /^(200|304|403|400 .*|500 .*)$/;
let broker: TestBroker;
let seen: Seen[];
let controller: {client: MqttClient; messages: Observed[]; close: () => Promise<void>};
let fleet: Fleet | null = null;
let counter = 0;

beforeAll(async () => {
  broker = await startAedes();
  seen = recordBroker(broker.aedes);
  controller = await observe(broker.url, ['homie/+/$implementation/ota/status', 'homie/+/$state', 'homie/+/$online', 'homie/+/$fw/+'], {qos: 1});
});
afterEach(async () => {
  await fleet?.stop();
  fleet = null;
});
afterAll(async () => {
  await controller.close();
  await broker.close();
});

async function device(spec: DeviceSpec = {}): Promise<SimDevice> {
  fleet = startFleet({url: broker.url, specs: [{id: `ota-${++counter}`, fw: 'relay@1.0.0', ...spec}], flashSpeed: 8_000_000, rebootDelay: 150});
  await fleet.waitAllAdvertised(5000);
  return fleet.devices[0]!;
}

/** Publish a firmware push and collect the statuses that follow, up to a final one. */
async function push(d: SimDevice, payload: Buffer | string, md5Level: string): Promise<string[]> {
  const topic = `${d.root}/$implementation/ota/firmware/${md5Level}`;
  const statusTopic = `${d.root}/$implementation/ota/status`;
  const from = controller.messages.length;
  await controller.client.publishAsync(topic, payload, {qos: 1});
  // live deliveries only (a retained one can be replayed late; protocols.md §5.8)
  const statuses = () => controller.messages.slice(from).filter(m => m.topic === statusTopic && !m.retain).map(m => m.payload);
  await until(() => statuses().some(s => TERMINAL.test(s)), `a final status for ${md5Level.slice(0, 12)}; so far ${statuses().join(', ')}`);
  return statuses();
}

function checkProgress(statuses: readonly string[], total: number): void {
  const progress = statuses.filter(s => s.startsWith('206 '));
  expect(progress.length).toBeGreaterThan(0);
  let last = 0;
  for (const p of progress) {
    const [done, of] = p.slice(4).split('/').map(Number);
    expect(done).toBeGreaterThan(last);
    expect(of).toBe(total);
    last = done!;
  }
  expect(last).toBe(total);
}

const image = (version: string, extra: Parameters<typeof buildFirmwareImage>[0] = {}) => buildFirmwareImage({name: 'relay', version, size: 20_000, ...extra});

describe('push OTA: the happy paths', () => {
  it('base64: 202, 206 after every 1460-byte chunk, 200; the will; back with the new $fw/version and $fw/checksum', async () => {
    const d = await device();
    const bin = image('1.1.0');
    const text = bin.toString('base64');
    const rebooted = d.waitFor('rebooted');
    const statuses = await push(d, text, md5(bin));
    expect(statuses[0]).toBe('202');
    expect(statuses.at(-1)).toBe('200');
    expect(statuses.filter(s => s.startsWith('206 '))).toHaveLength(Math.ceil(text.length / 1460));
    checkProgress(statuses.slice(1, -1), bin.length);
    const [info] = await rebooted;
    expect(info.fw).toEqual({name: 'relay', version: '1.1.0', checksum: md5(bin)});
    // as the controller saw it: 200, the will (lost), then init … new version … ready
    await until(() => controller.messages.filter(m => m.topic === `${d.root}/$state` && m.payload === 'ready').length >= 2, 'ready again at the controller');
    const mine = controller.messages.filter(m => m.topic.startsWith(`${d.root}/`));
    const after200 = mine.slice(mine.findIndex(m => m.payload === '200'));
    const order = after200.map(m => `${m.topic.slice(d.root.length + 1)}=${m.payload}`);
    const i = (s: string) => order.indexOf(s);
    expect(i('$state=lost')).toBeGreaterThan(0);
    expect(i('$state=init')).toBeGreaterThan(i('$state=lost'));
    expect(i('$fw/version=1.1.0')).toBeGreaterThan(i('$state=init'));
    expect(i(`$fw/checksum=${md5(bin)}`)).toBeGreaterThan(i('$state=init'));
    expect(i('$state=ready')).toBeGreaterThan(i('$fw/version=1.1.0'));
    // the status went out retained at QoS 0
    const published = seen.filter(s => s.topic === `${d.root}/$implementation/ota/status`);
    expect(published.every(s => s.qos === 0 && s.retain)).toBe(true);
  });

  it('raw binary (first byte 0xE9): progress in bytes of the file', async () => {
    const d = await device();
    const bin = image('1.2.0');
    const statuses = await push(d, bin, md5(bin));
    expect(statuses[0]).toBe('202');
    expect(statuses.at(-1)).toBe('200');
    expect(statuses.filter(s => s.startsWith('206 '))).toHaveLength(Math.ceil(bin.length / 1460));
    checkProgress(statuses.slice(1, -1), bin.length);
    await until(() => d.fw.version === '1.2.0' && d.state === 'ready', 'the new version');
  });

  it('an uppercase md5 is accepted (core ≥ 2.5.0 compares case-insensitively)', async () => {
    const d = await device();
    const bin = image('1.3.0');
    const statuses = await push(d, bin.toString('base64'), md5(bin).toUpperCase());
    expect(statuses.at(-1)).toBe('200');
  });

  it('an uppercase md5 of the running firmware is not "the same" (the 304 check is case-sensitive): it flashes again', async () => {
    const d = await device();
    const statuses = await push(d, d.image.toString('base64'), d.fw.checksum.toUpperCase());
    expect(statuses[0]).toBe('202');
    expect(statuses.at(-1)).toBe('200');
  });

  it('develop-like devices report progress only on the 101st chunk and every 100th after it', async () => {
    const d = await device({progressEvery: 100});
    const bin = image('1.4.0', {size: 300_000});
    const statuses = await push(d, bin, md5(bin));
    const chunks = Math.ceil(bin.length / 1460);
    expect(statuses).toEqual(['202', ...Array.from({length: Math.floor((chunks - 1) / 100)}, (_, k) => `206 ${(k + 1) * 100 * 1460 + 1460}/${bin.length}`), '200']);
  });

  it('homie-esp8266 v2: the will is $online=false, then $online=true with the new version', async () => {
    const d = await device({generation: 'v2'});
    const bin = image('2.0.0');
    const from = controller.messages.length;
    expect((await push(d, bin.toString('base64'), md5(bin))).at(-1)).toBe('200');
    await d.waitFor('rebooted');
    await until(() => controller.messages.slice(from).some(m => m.topic === `${d.root}/$online` && m.payload === 'true'), '$online=true at the controller');
    const after = controller.messages.slice(from).filter(m => m.topic.startsWith(`${d.root}/`)).map(m => `${m.topic.slice(d.root.length + 1)}=${m.payload}`);
    expect(after.indexOf('$online=false')).toBeGreaterThan(after.indexOf('$implementation/ota/status=200'));
    expect(after.indexOf('$online=true')).toBeGreaterThan(after.indexOf('$fw/version=2.0.0'));
  });

  it('an ESP8266 core ≥ 2.4.2 rewrites the flash-mode byte: $fw/checksum then differs from the pushed file', async () => {
    const d = await device({flashMode: 'qio'});
    const bin = image('1.5.0');
    expect((await push(d, bin, md5(bin))).at(-1)).toBe('200');
    const [info] = await d.waitFor('rebooted');
    expect(info.fw.version).toBe('1.5.0');
    expect(info.fw.checksum).not.toBe(md5(bin));
  });
});

describe('push OTA: refusals and errors, in the order the device checks', () => {
  it('403 when OTA is disabled, before anything else (even an invalid md5)', async () => {
    const d = await device({faults: {otaDisabled: true}});
    expect(await push(d, image('9.9.9'), 'not-an-md5')).toEqual(['403']);
  });

  it('400 BAD_CHECKSUM without a 202 when the md5 level is not 32 hex digits', async () => {
    const d = await device();
    expect(await push(d, image('1.1.0'), 'abc')).toEqual(['400 BAD_CHECKSUM']);
    expect(await push(d, image('1.1.0'), 'z'.repeat(32))).toEqual(['400 BAD_CHECKSUM']);
  });

  it('304 when the md5 equals the running $fw/checksum', async () => {
    const d = await device();
    expect(await push(d, d.image, d.fw.checksum)).toEqual(['304']);
  });

  it('a wrong md5 is found at the end: 202, all the 206s, then 400 BAD_CHECKSUM, and no reboot', async () => {
    const d = await device();
    const bin = image('1.1.0');
    const statuses = await push(d, bin.toString('base64'), md5(Buffer.from('something else')));
    expect(statuses[0]).toBe('202');
    expect(statuses.at(-2)).toBe(`206 ${bin.length}/${bin.length}`);
    expect(statuses.at(-1)).toBe('400 BAD_CHECKSUM');
    await sleep(300);
    expect(d.state).toBe('ready');
    expect(d.fw.version).toBe('1.0.0');
  });

  it('an ESP8266 core ≤ 2.4.2 compares the md5 case-sensitively: uppercase fails at the end', async () => {
    const d = await device({md5CaseSensitive: true});
    const bin = image('1.1.0');
    expect((await push(d, bin, md5(bin).toUpperCase())).at(-1)).toBe('400 BAD_CHECKSUM');
  });

  it('base64 rules: a newline, a length not a multiple of 4, the URL-safe alphabet, "=" inside → 400 BAD_FIRMWARE', async () => {
    const d = await device();
    const bin = image('1.1.0');
    const sum = md5(bin);
    const text = bin.toString('base64');
    expect(text.length % 4).toBe(0);
    const withNewline = `${text.slice(0, 3000)}\n${text.slice(3001)}`;
    const statuses = await push(d, withNewline, sum);
    expect(statuses[0]).toBe('202');
    expect(statuses.filter(s => s.startsWith('206 '))).toHaveLength(2); // chunks 1 and 2 are clean; chunk 3 holds the newline
    expect(statuses.at(-1)).toBe('400 BAD_FIRMWARE');

    expect(await push(d, text.slice(0, -1), sum)).toEqual(['202', '400 BAD_FIRMWARE']);
    expect(await push(d, bin.toString('base64').replace(/\//g, '_').replace(/\+/g, '-'), sum)).toContain('400 BAD_FIRMWARE');
    const inner = await push(d, `${text.slice(0, 100)}=${text.slice(101)}`, sum);
    expect([inner[0], inner.at(-1)]).toEqual(['202', '400 BAD_FIRMWARE']);
    // and a MIME-style payload with a line break every 76 characters fails in the first chunk
    const mime = text.match(/.{1,76}/g)!.join('\n');
    expect((await push(d, mime, sum)).at(-1)).toBe('400 BAD_FIRMWARE');
    expect(d.fw.version).toBe('1.0.0');
  });

  it('neither raw 0xE9 nor base64 of it: a gzip image is refused with 400 BAD_FIRMWARE after the 202', async () => {
    const d = await device();
    const gz = zlib.gzipSync(image('1.1.0'));
    expect(await push(d, gz, md5(gz))).toEqual(['202', '400 BAD_FIRMWARE']);
    expect(await push(d, gz.toString('base64'), md5(gz))).toEqual(['202', '400 BAD_FIRMWARE']);
  });

  it('400 NOT_ENOUGH_SPACE when the image is larger than the free sketch space', async () => {
    const d = await device({freeSpace: 10_000});
    const bin = image('1.1.0');
    expect(await push(d, bin.toString('base64'), md5(bin))).toEqual(['202', '400 NOT_ENOUGH_SPACE']);
  });

  it('an image for a bigger flash chip fails the flash-config check at the end: 400 BAD_FIRMWARE', async () => {
    const d = await device();
    const bin = image('1.1.0', {flashSizeCode: 8}); // 8 MB image, 4 MB chip
    const statuses = await push(d, bin, md5(bin));
    expect(statuses.at(-2)).toBe(`206 ${bin.length}/${bin.length}`);
    expect(statuses.at(-1)).toBe('400 BAD_FIRMWARE');
  });

  it('an empty payload and a topic longer than 128 characters are ignored silently', async () => {
    const prefix = `homie/${'p'.repeat(42)}`; // a 48-character base topic
    const d = await device({prefix, id: 'd'.repeat(32)});
    const bin = image('1.1.0');
    const statusTopic = `${d.root}/$implementation/ota/status`;
    const watcher = await observe(broker.url, [statusTopic]);
    try {
      expect(`${d.root}/$implementation/ota/firmware/${md5(bin)}`.length).toBeGreaterThan(128);
      await controller.client.publishAsync(`${d.root}/$implementation/ota/firmware/${md5(bin)}`, bin, {qos: 1});
      await controller.client.publishAsync(`${d.root}/$implementation/ota/firmware/${md5(bin)}`, '', {qos: 1});
      // messages are handled in order: once the /set after them is echoed, both were dropped
      await controller.client.publishAsync(`${d.root}/light/on/set`, 'true', {qos: 1});
      await until(() => d.value('light', 'on') === 'true', 'the /set after the pushes');
      await sleep(100);
      expect(watcher.messages).toEqual([]);
      expect(d.statusLog).toEqual([]);
    } finally {
      await watcher.close();
    }
  });
});

describe('push OTA on ESP32 (homie-esp8266 v3)', () => {
  it('a bad image is reported as 400 BAD_CHECKSUM (the case fall-through quirk)', async () => {
    const d = await device({chip: 'esp32'});
    const junk = Buffer.alloc(5000, 0x41);
    expect(await push(d, junk, md5(junk))).toEqual(['202', '400 BAD_CHECKSUM']);
  });

  it('too big for the OTA partition: 400 BAD_CHECKSUM too (UPDATE_ERROR_SIZE)', async () => {
    const d = await device({chip: 'esp32', freeSpace: 10_000});
    const bin = image('1.1.0', {chip: 'esp32'});
    expect(await push(d, bin, md5(bin))).toEqual(['202', '400 BAD_CHECKSUM']);
  });

  it('an ESP32 image flashes and comes back; an ESP8266 image fails activation with 500 INTERNAL_ERROR 9', async () => {
    const d = await device({chip: 'esp32'});
    const bin = image('1.1.0', {chip: 'esp32'});
    expect((await push(d, bin, md5(bin))).at(-1)).toBe('200');
    await d.waitFor('rebooted');
    const wrong = image('1.2.0');
    expect((await push(d, wrong, md5(wrong))).at(-1)).toBe('500 INTERNAL_ERROR 9');
    expect(d.fw.version).toBe('1.1.0');
  });
});

describe.runIf(runMosquittoTests)('push OTA through a stock mosquitto', () => {
  it('statuses in order, will on reboot, new version after', async () => {
    const mosquitto = await startMosquitto();
    const watcher = await observe(mosquitto.url, ['homie/mosq-1/$implementation/ota/status', 'homie/mosq-1/$state', 'homie/mosq-1/$fw/version'], {qos: 1});
    const local = startFleet({url: mosquitto.url, specs: [{id: 'mosq-1', fw: 'relay@1.0.0'}], flashSpeed: 8_000_000, rebootDelay: 150});
    try {
      await local.waitAllAdvertised(5000);
      await until(() => watcher.messages.some(m => m.payload === 'ready'), 'the watcher to see the device ready');
      const bin = image('1.1.0');
      const from = watcher.messages.length;
      await watcher.client.publishAsync(`homie/mosq-1/$implementation/ota/firmware/${md5(bin)}`, bin.toString('base64'), {qos: 1});
      await until(() => watcher.messages.slice(from).some(m => m.topic.endsWith('$fw/version') && m.payload === '1.1.0'), 'the new version');
      const got = watcher.messages.slice(from).map(m => m.payload).filter(p => !p.startsWith('206 '));
      expect(got.slice(0, 4)).toEqual(['202', '200', 'lost', 'init']);
      expect(got.indexOf('1.1.0')).toBeGreaterThan(3);
      expect(got.lastIndexOf('ready')).toBeGreaterThan(got.indexOf('1.1.0'));
    } finally {
      await local.stop();
      await watcher.close();
      await mosquitto.stop();
    }
  });
});
