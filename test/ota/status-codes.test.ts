import fs from 'node:fs';
import path from 'node:path';
import mqtt, {type MqttClient} from 'mqtt';
import {afterEach, describe, expect, it} from 'vitest';
import {engineFixture} from '../helpers/engine-fixture.js';
import {waitFor} from '../helpers/wait-for.js';
import {FAST, finished, otaWorld, writeFirmware, type OtaWorld} from './helpers.js';
import type {CliOverrides} from '../../src/config/load.js';

/**
 * A scripted homie-esp8266 v3 device on a plain MQTT.js client: it advertises, then answers a push
 * with exactly the statuses given, so every status code and silence can be checked.
 */
async function scriptedDevice(port: number, id: string, answers: string[]): Promise<{client: MqttClient; pushes: Array<{topic: string; payload: Buffer; qos: number; retain: boolean}>}> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {clientId: `Homie-${id}`, will: {topic: `homie/${id}/$state`, payload: Buffer.from('lost'), qos: 1, retain: true}});
  const base = `homie/${id}`;
  const attributes: Array<[string, string]> = [
    ['$state', 'init'], ['$homie', '3.0.1'], ['$name', id], ['$mac', 'AA:BB:CC:DD:EE:01'], ['$localip', '10.0.0.9'], ['$nodes', ''],
    ['$stats', 'uptime'], ['$stats/interval', '65'], ['$fw/name', 'relay'], ['$fw/version', '1.0.0'], ['$fw/checksum', '0'.repeat(32)],
    ['$implementation', 'esp8266'], ['$implementation/version', '3.0.0'], ['$implementation/ota/enabled', 'true'], ['$state', 'ready'],
  ];
  for (const [topic, value] of attributes) await client.publishAsync(`${base}/${topic}`, value, {qos: 1, retain: true});
  const pushes: Array<{topic: string; payload: Buffer; qos: number; retain: boolean}> = [];
  client.on('message', (topic, payload, packet) => {
    pushes.push({topic, payload, qos: packet.qos, retain: packet.retain});
    for (const answer of answers) client.publish(`${base}/$implementation/ota/status`, answer, {qos: 0, retain: true});
  });
  await client.subscribeAsync(`${base}/$implementation/ota/firmware/+`, {qos: 1});
  return {client, pushes};
}

const fixture = engineFixture();
let device: MqttClient | null = null;
// runs before the fixture's teardown (hooks run in reverse order)
afterEach(async () => {
  await device?.endAsync(true);
  device = null;
});

async function setup(answers: string[], overrides: CliOverrides = {}) {
  writeFirmware(fixture.dir, 'relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 50_000});
  const engine = fixture.create({overrides});
  engine.ota.timings = {...FAST, pushAnswer: 1500};
  await engine.start();
  await waitFor(() => engine.firmware.byFile('relay-1.1.0.bin'), 'firmware');
  const scripted = await scriptedDevice(engine.broker!.boundPort, 'scripted', answers);
  device = scripted.client;
  await waitFor(() => engine.inventory.get('homie/scripted')?.otaEnabled === true && engine.inventory.discoveryStatus.completedAt, 'device known');
  const id = engine.ota.create({deviceKeys: ['homie/scripted'], firmware: {name: 'relay', version: '1.1.0'}}).jobs[0]!.id;
  return {id, engine, pushes: scripted.pushes, job: () => finished(engine, id)};
}

describe('every answer a homie-esp8266 device can give to a push', () => {
  it('304: the device already runs it — skipped, not failed', async () => {
    const {job} = await setup(['304']);
    expect(await job()).toMatchObject({state: 'skipped', timeline: expect.arrayContaining([expect.objectContaining({note: 'the device already runs this image (same MD5)'})])});
  });

  it('400 BAD_FIRMWARE and 500 INTERNAL_ERROR n: failed with the reason in words', async () => {
    const {job} = await setup(['202', '400 BAD_FIRMWARE']);
    expect(await job()).toMatchObject({state: 'failed', error: expect.stringMatching(/refused the image \(400 BAD_FIRMWARE\)/)});
  });

  it('500 INTERNAL_ERROR 6 names the updater error', async () => {
    const {job} = await setup(['202', '206 1460/50000', '500 INTERNAL_ERROR 6']);
    expect(await job()).toMatchObject({state: 'failed', error: expect.stringMatching(/error 6 STREAM/)});
  });

  it('silence: fails after the answer timeout, saying what to check', async () => {
    const {job, pushes} = await setup([]);
    expect(await job()).toMatchObject({state: 'failed', error: expect.stringMatching(/no answer to the push within 2 s/)});
    expect(pushes).toHaveLength(1);
  });

  it('pushes base64 by default, once, at QoS 1, never retained, to …/firmware/<lowercase md5>', async () => {
    const {engine, job, pushes} = await setup(['202', '200']);
    await waitFor(() => pushes.length === 1, 'the push');
    const record = engine.firmware.byFile('relay-1.1.0.bin')!;
    expect(pushes[0]!.topic).toBe(`homie/scripted/$implementation/ota/firmware/${record.md5}`);
    expect(record.md5).toMatch(/^[0-9a-f]{32}$/);
    expect(pushes[0]!.qos).toBe(1);
    expect(pushes[0]!.retain).toBe(false);
    const text = pushes[0]!.payload.toString('latin1');
    expect(text.startsWith('6Q')).toBe(true);
    expect(text).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(text, 'base64').equals(fs.readFileSync(path.join(fixture.dir, 'firmwares/relay-1.1.0.bin')))).toBe(true);
    // the scripted device never reboots: not done, however often it said 200
    expect(await job()).toMatchObject({state: 'failed', error: expect.stringMatching(/never rebooted|did not come back/)});
  });

  it('pushes the raw image with OTA_FIRMWARE_BASE64 = false', async () => {
    fs.writeFileSync(path.join(fixture.dir, 'homie-ota.ini'), '[global]\nOTA_FIRMWARE_BASE64 = false\n');
    const {pushes} = await setup(['304']);
    await waitFor(() => pushes.length === 1, 'the push');
    expect(pushes[0]!.payload[0]).toBe(0xe9);
  });
});

describe('a device that drops off in the middle of a transfer (simulated)', () => {
  let world: OtaWorld | null = null;
  afterEach(async () => {
    await world?.close();
    world = null;
  });

  it('is failed as what it is when it comes back on the old firmware', async () => {
    world = await otaWorld({specs: [{id: 'flaky', generation: 'v3', fw: {name: 'relay', version: '1.0.0'}, faults: {dropAt: 40}}], fleet: {flashSpeed: 100_000}});
    const id = world.engine.ota.create({deviceKeys: ['homie/flaky'], firmware: {name: 'relay', version: '1.1.0'}}).jobs[0]!.id;
    const job = await finished(world.engine, id, 30_000);
    // it says where the transfer was cut and that nothing was installed, at once (not after a 60 s stall)
    expect(job).toMatchObject({state: 'failed', error: expect.stringMatching(/the transfer was cut at (39|40|41)% when the device went offline .* still running relay 1\.0\.0, nothing was installed: retry the job/)});
    expect(world.seen.get(id)!.filter(s => s === 'sending')).toHaveLength(1);
  });
});
