import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import {afterEach, describe, expect, it} from 'vitest';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {startFleet, type Fleet} from '../../src/sim/index.js';
import {startAedes, type TestBroker} from '../helpers/aedes.js';
import {testConfig} from '../helpers/config.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';
import {FAST, writeFirmware} from '../ota/helpers.js';

let broker: TestBroker | null = null;
let fleet: Fleet | null = null;
let engine: Engine | null = null;
let watcher: mqtt.MqttClient | null = null;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await watcher?.endAsync();
  await fleet?.stop();
  await engine?.stop();
  await broker?.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
  fleet = engine = broker = watcher = null;
});

async function startEngine(dir: string, pattern: string): Promise<Engine> {
  const e = createEngine(testConfig(dir, {mqtt: broker!.url, concurrency: '1', watch: [pattern]}));
  e.ota.timings = {...FAST, reboot: 15_000, pushAnswer: 15_000};
  e.firmware.tune({stableMs: 300, watchRescanMs: 200});
  await e.start();
  await waitFor(() => e.inventory.discoveryStatus.completedAt, 'inventory loaded');
  return e;
}

describe('an automatic rollout across a restart of homie-ota', () => {
  it('started by a WATCH copy, resumes after the engine restarts, and sends the firmware to each device exactly once', async () => {
    const work = tempDir();
    cleanups.push(work.cleanup);
    const dir = work.dir;
    writeFirmware(dir, 'relay-1.0.1.bin', {name: 'relay', version: '1.0.1', size: 60_000});
    broker = await startAedes();
    const ids = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'];
    fleet = startFleet({url: broker.url, specs: ids.map(id => ({id, generation: 'v3' as const, fw: {name: 'relay', version: '1.0.1'}})), flashSpeed: 120_000, rebootDelay: 300});
    await fleet.waitAllAdvertised();
    const pushes = new Map<string, number>();
    watcher = await mqtt.connectAsync(broker.url);
    watcher.on('message', topic => {
      const id = topic.split('/')[1]!;
      pushes.set(id, (pushes.get(id) ?? 0) + 1);
    });
    await watcher.subscribeAsync('homie/+/$implementation/ota/firmware/+');

    const builds = path.join(dir, 'builds');
    const pattern = path.join(builds, '*', 'firmware.bin');
    engine = await startEngine(dir, pattern);
    for (const id of ids) await waitFor(() => engine!.inventory.get(`homie/${id}`)?.otaEnabled, `${id} ready`);
    expect(engine.policies.arm('relay', {concurrency: 1})).toMatchObject({ok: true});
    fs.mkdirSync(path.join(builds, 'relay'), {recursive: true});
    fs.writeFileSync(path.join(builds, 'relay', 'firmware.bin'), buildFirmwareImage({name: 'relay', version: '1.0.2', size: 60_000}));
    const rollout = await waitFor(() => engine!.ota.rollouts().find(r => r.auto), 'the automatic rollout', 10_000);
    expect(rollout.auto).toEqual({policy: 'relay', file: 'relay-1.0.2.bin', via: 'watch', source: path.join(builds, 'relay', 'firmware.bin')});
    // stop in the middle: the canary done, a later device in its transfer
    await waitFor(() => engine!.ota.list().filter(j => j.rolloutId === rollout.id && j.state === 'done').length >= 2
      && engine!.ota.list().some(j => j.rolloutId === rollout.id && j.state === 'flashing'), 'two done and one flashing', 20_000);
    await engine.stop();

    engine = await startEngine(dir, pattern);
    const resumed = await waitFor(() => {
      const r = engine!.ota.rollout(rollout.id);
      return r && r.state === 'done' ? r : undefined;
    }, `the rollout to finish after the restart (now ${engine.ota.rollout(rollout.id)?.state})`, 40_000);
    expect(resumed.counts).toMatchObject({devices: 6, done: 6, failed: 0});
    expect(resumed.auto?.via).toBe('watch');
    // one rollout of the version, not a second one started after the restart; each device pushed once
    expect(engine.ota.rollouts().filter(r => r.auto)).toHaveLength(1);
    expect(Object.fromEntries(pushes)).toEqual(Object.fromEntries(ids.map(id => [id, 1])));
    for (const id of ids) expect(engine.inventory.get(`homie/${id}`)?.fw.version).toBe('1.0.2');
  }, 60_000);
});
