import mqtt from 'mqtt';
import {afterEach, describe, expect, it} from 'vitest';
import {percent, type Job} from '../../src/engine/ota/job.js';
import {finished, otaWorld, type OtaWorld} from './helpers.js';
import {waitFor} from '../helpers/wait-for.js';

let world: OtaWorld | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

const relay = {name: 'relay', version: '1.0.0'};

describe('MQTT push to homie-esp8266 (simulated)', () => {
  it('updates a v3 device and says done only after it came back running the new version', async () => {
    world = await otaWorld({specs: [{id: 'relay-a', generation: 'v3', fw: relay}]});
    const {engine, fleet} = world;
    const device = fleet.device('relay-a')!;
    const statuses: string[] = [];
    device.on('status', p => statuses.push(p));
    const result = engine.ota.create({deviceKeys: ['homie/relay-a'], firmware: {name: 'relay', version: '1.1.0'}});
    expect(result, JSON.stringify(result)).toMatchObject({jobs: [expect.anything()]});
    const job = await finished(engine, result.jobs[0]!.id);
    expect(job.state).toBe('done');
    expect(world.seen.get(job.id)).toEqual(['queued', 'sending', 'flashing', 'rebooting', 'done']);
    expect(statuses[0]).toBe('202');
    expect(statuses.at(-1)).toBe('200');
    expect(engine.inventory.get('homie/relay-a')!.fw.version).toBe('1.1.0');
    expect(job.result).toMatch(/back and running relay 1\.1\.0/);
    expect(engine.ota.historyFor('homie/relay-a')[0]).toMatchObject({from: 'relay 1.0.0', to: 'relay 1.1.0', result: 'done'});
  });

  it('updates a Homie 2.0 device ($online, $stats/interval 0) the same way', async () => {
    world = await otaWorld({specs: [{id: 'old-two', generation: 'v2', fw: relay}]});
    const job = await finished(world.engine, world.engine.ota.create({deviceKeys: ['homie/old-two'], firmware: {name: 'relay', version: '1.1.0'}}).jobs[0]!.id);
    expect(job.state).toBe('done');
  });

  it('ignores the retained 200 of an earlier update and never retains the firmware', async () => {
    world = await otaWorld({specs: [{id: 'relay-b', generation: 'v3', fw: relay}]});
    const {engine} = world;
    const port = engine.broker!.boundPort;
    // an old, retained "200" sits on the status topic (homie-esp8266 keeps it after every update)
    const other = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    await other.publishAsync('homie/relay-b/$implementation/ota/status', '200', {retain: true, qos: 1});
    const id = engine.ota.create({deviceKeys: ['homie/relay-b'], firmware: {name: 'relay', version: '1.1.0'}}).jobs[0]!.id;
    // the retained 200 is replayed to every new subscriber; the job must not treat it as an answer
    const job = await finished(engine, id);
    expect(job.state).toBe('done');
    expect(world.seen.get(id)).toContain('flashing');
    const retained: string[] = [];
    other.on('message', topic => retained.push(topic));
    await other.subscribeAsync('homie/relay-b/$implementation/ota/firmware/+');
    await new Promise(resolve => setTimeout(resolve, 200));
    expect(retained).toEqual([]);
    await other.endAsync();
  });

  it('fails with the reason the device gives: 403, NOT_ENOUGH_SPACE, FLASH_ERROR', async () => {
    world = await otaWorld({
      specs: [
        {id: 'no-space', generation: 'v3', fw: relay, faults: {noSpace: true}},
        {id: 'bad-flash', generation: 'v3', fw: relay, faults: {flashErrorAt: 40}},
        {id: 'turned-off', generation: 'v3', fw: relay},
      ],
    });
    const {engine, fleet} = world;
    // OTA switched off after the device announced it: it answers 403
    fleet.device('turned-off')!.inject({otaDisabled: true});
    const result = engine.ota.create({deviceKeys: ['homie/no-space', 'homie/bad-flash', 'homie/turned-off'], firmware: {name: 'relay', version: '1.1.0'}});
    const [noSpace, badFlash, off] = await Promise.all(result.jobs.map(j => finished(engine, j.id)));
    expect(noSpace).toMatchObject({state: 'failed', error: expect.stringMatching(/does not fit the free sketch space.*NOT_ENOUGH_SPACE/)});
    expect(badFlash).toMatchObject({state: 'failed', error: expect.stringMatching(/FLASH_ERROR/)});
    // the progress the Queue shows is where the fault says the flash broke
    expect(percent(badFlash!)).toBe(40);
    expect(off).toMatchObject({state: 'failed', error: expect.stringMatching(/OTA is disabled on the device \(403\)/)});
    expect(engine.inventory.get('homie/bad-flash')!.fw.version).toBe('1.0.0');
  });

  it('fails when progress stalls, when the device never comes back, and when it comes back on the old version', async () => {
    world = await otaWorld({
      specs: [
        {id: 'stalls', generation: 'v3', fw: relay, faults: {stallAt: 30}},
        {id: 'gone', generation: 'v3', fw: relay, faults: {neverBack: true}},
        {id: 'rolls-back', generation: 'v3', fw: relay, faults: {rollback: true}},
      ],
      config: {concurrency: '3'},
    });
    const {engine} = world;
    const result = engine.ota.create({deviceKeys: ['homie/stalls', 'homie/gone', 'homie/rolls-back'], firmware: {name: 'relay', version: '1.1.0'}});
    const [stalls, gone, rollsBack] = await Promise.all(result.jobs.map(j => finished(engine, j.id, 30_000)));
    expect(stalls).toMatchObject({state: 'failed', error: expect.stringMatching(/progress stalled at \d+%/)});
    expect(gone).toMatchObject({state: 'failed', error: expect.stringMatching(/did not come back within/)});
    expect(rollsBack).toMatchObject({state: 'failed', error: expect.stringMatching(/came back running relay 1\.0\.0, not relay 1\.1\.0/)});
  });

  it('checks an ESP32 again later and catches a silent rollback', async () => {
    world = await otaWorld({
      specs: [
        {id: 'esp-ok', generation: 'v3', chip: 'esp32', fw: relay},
        {id: 'esp-late', generation: 'v3', chip: 'esp32', fw: relay, faults: {rollback: 0.5}},
      ],
      firmware: [['relay-1.1.0.bin', {name: 'relay', version: '1.1.0', chip: 'esp32'}]],
      timings: {esp32Recheck: 2500},
    });
    const {engine} = world;
    const result = engine.ota.create({deviceKeys: ['homie/esp-ok', 'homie/esp-late'], firmware: {name: 'relay', version: '1.1.0'}});
    const [ok, late] = (await Promise.all(result.jobs.map(j => finished(engine, j.id, 30_000)))) as [Job, Job];
    expect(world.seen.get(ok.id)).toContain('verifying');
    expect(ok.state).toBe('done');
    expect(late).toMatchObject({state: 'failed', error: expect.stringMatching(/rolled back|came back running relay 1\.0\.0/)});
  });
});

describe('offline and sleeping devices', () => {
  it('waits for an offline device and updates it once when it comes back', async () => {
    world = await otaWorld({specs: [{id: 'away', generation: 'v3', fw: relay}]});
    const {engine, fleet} = world;
    const device = fleet.device('away')!;
    await device.goOffline({will: true});
    await waitFor(() => engine.inventory.get('homie/away')?.state === 'lost', 'device lost');
    const id = engine.ota.create({deviceKeys: ['homie/away'], firmware: {name: 'relay', version: '1.1.0'}}).jobs[0]!.id;
    await waitFor(() => engine.ota.get(id)?.state === 'waiting', 'waiting');
    expect(engine.ota.get(id)!.waitingFor).toMatch(/the device is lost; starts when it reports ready/);
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(engine.ota.get(id)!.state).toBe('waiting');
    device.goOnline();
    const job = await finished(engine, id);
    expect(job.state).toBe('done');
    expect(job.attempt).toBe(1);
    expect(world.seen.get(id)!.filter(s => s === 'sending')).toHaveLength(1);
  });
});

describe('sleepy devices', () => {
  it('waits while the device sleeps and updates it in its next awake window', async () => {
    world = await otaWorld({specs: [{id: 'dozy', generation: 'v3', fw: relay, faults: {sleepy: {sleepSeconds: 2, awakeSeconds: 1.5}}}]});
    const {engine} = world;
    await waitFor(() => engine.inventory.get('homie/dozy')?.state === 'sleeping', 'asleep', 10_000);
    const id = engine.ota.create({deviceKeys: ['homie/dozy'], firmware: {name: 'relay', version: '1.1.0'}}).jobs[0]!.id;
    await waitFor(() => engine.ota.get(id)?.waitingFor?.includes('asleep'), 'waiting for it to wake');
    const job = await finished(engine, id, 30_000);
    expect(job.state).toBe('done');
    expect(world.seen.get(id)!.filter(s => s === 'sending')).toHaveLength(1);
  });
});

describe('Homie 1.x: $ota, then the HTTP download', () => {
  it('publishes a ≤16-character $ota, serves the device with x-MD5 and verifies the new $fwversion', async () => {
    world = await otaWorld({
      specs: [{id: 'a1b2c3d4', generation: 'v1', fw: relay}],
      config: {prefix: 'homie,devices'},
    });
    const {engine, fleet} = world;
    const device = fleet.device('a1b2c3d4')!;
    const pulls: unknown[] = [];
    device.on('pull', r => pulls.push(r));
    const id = engine.ota.create({deviceKeys: ['devices/a1b2c3d4'], firmware: {name: 'relay', version: '1.1.0'}}).jobs[0]!.id;
    expect(engine.ota.get(id)!.method).toBe('v1-ota');
    const job = await finished(engine, id);
    expect(job.state).toBe('done');
    expect(pulls[0]).toMatchObject({status: 200});
    expect(engine.inventory.get('devices/a1b2c3d4')!.fw.version).toBe('1.1.0');
  });
});

describe('concurrency and rollouts', () => {
  it('never runs more transfers than OTA_CONCURRENCY', async () => {
    world = await otaWorld({
      specs: ['c1', 'c2', 'c3', 'c4', 'c5'].map(id => ({id, generation: 'v3' as const, fw: relay})),
      config: {concurrency: '2'},
      fleet: {flashSpeed: 400_000},
    });
    const {engine} = world;
    const result = engine.ota.create({deviceKeys: ['c1', 'c2', 'c3', 'c4', 'c5'].map(id => `homie/${id}`), firmware: {name: 'relay', version: '1.1.0'}});
    const jobs = await Promise.all(result.jobs.map(j => finished(engine, j.id, 40_000)));
    expect(jobs.map(j => j.state)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(world.maxConcurrent).toBe(2);
  });

  it('stops a rollout when its canary fails and cancels the rest', async () => {
    world = await otaWorld({
      specs: [
        {id: 'canary', generation: 'v3', fw: relay, faults: {flashErrorAt: 10}},
        {id: 'r2', generation: 'v3', fw: relay},
        {id: 'r3', generation: 'v3', fw: relay},
      ],
    });
    const {engine} = world;
    const result = engine.ota.create({deviceKeys: ['homie/canary', 'homie/r2', 'homie/r3'], firmware: {name: 'relay', version: '1.1.0'}, rollout: {scope: 'test', canary: true, maxFailures: 1}});
    const jobs = await Promise.all(result.jobs.map(j => finished(engine, j.id)));
    expect(jobs.map(j => j.state)).toEqual(['failed', 'cancelled', 'cancelled']);
    expect(jobs[1]!.error ?? jobs[1]!.timeline.at(-1)!.note).toMatch(/rollout r-\d+ stopped: the canary canary failed/);
    expect(engine.ota.rollouts()[0]).toMatchObject({state: 'stopped'});
    // the others were never attempted
    expect(world.seen.get(jobs[1]!.id)).not.toContain('sending');
  });
});
