import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import {afterEach, describe, expect, it} from 'vitest';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import {countFromJobs, openByRollout, tallyOf} from '../../src/engine/ota/rollout-counts.js';
import type {Rollout} from '../../src/engine/ota/types.js';
import {buildJobsSlice} from '../../src/store/jobs-slice.js';
import {finished, otaWorld, type OtaWorld} from './helpers.js';
import {testConfig} from '../helpers/config.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';

let world: OtaWorld | null = null;
let watcher: mqtt.MqttClient | null = null;
afterEach(async () => {
  await watcher?.endAsync();
  watcher = null;
  await world?.close();
  world = null;
});

const old = {name: 'relay', version: '1.0.0'};
const current = {name: 'relay', version: '1.1.0'};
const target = {name: 'relay', version: '1.1.0'};

interface RolloutEvent {
  id: string;
  state: string;
  counts: Record<string, number>;
  summary: string;
}

/** Every rollout event homie-ota publishes, newest last per rollout. */
async function watchRolloutEvents(engine: Engine): Promise<Map<string, RolloutEvent[]>> {
  const events = new Map<string, RolloutEvent[]>();
  watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${engine.broker!.boundPort}`);
  watcher.on('message', (_topic, payload) => {
    const event = JSON.parse(payload.toString()) as RolloutEvent;
    events.set(event.id, [...(events.get(event.id) ?? []), event]);
  });
  await watcher.subscribeAsync('homie-ota/rollouts/+');
  return events;
}

async function apiRollout(engine: Engine, id: string): Promise<{status: number; body: RolloutEvent & {reason: string | null}}> {
  const res = await fetch(`http://127.0.0.1:${engine.http.boundPort}/api/rollouts/${id}`);
  return {status: res.status, body: await res.json() as RolloutEvent & {reason: string | null}};
}

async function ended(engine: Engine, id: string): Promise<Rollout> {
  return waitFor(() => {
    const r = engine.ota.rollout(id);
    return r && r.state !== 'running' && r.state !== 'paused' ? r : undefined;
  }, `rollout ${id} to end (now ${engine.ota.rollout(id)?.state})`, 20_000);
}

/**
 * The same counts in every place a user can read them: the engine, GET /api/rollouts/<id>, the last
 * MQTT event, the Queue's data, and a count of the listed jobs (each device by its newest attempt).
 */
async function expectCountsEverywhere(engine: Engine, events: Map<string, RolloutEvent[]>, rollout: Rollout, expected: Record<string, number>): Promise<void> {
  const tally = tallyOf(rollout, openByRollout(engine.ota.list()).get(rollout.id));
  expect(tally).toEqual({active: 0, rebooting: 0, verifying: 0, waiting: 0, ...expected});
  expect(countFromJobs(rollout.id, engine.ota.list())).toEqual({devices: expected.devices, done: expected.done ?? 0, skipped: expected.skipped ?? 0, cancelled: expected.cancelled ?? 0, failed: expected.failed ?? 0});
  const api = await apiRollout(engine, rollout.id);
  expect(api.status).toBe(200);
  expect(api.body.counts).toEqual(tally);
  const last = await waitFor(() => {
    const event = events.get(rollout.id)?.at(-1);
    return event && event.state === rollout.state && JSON.stringify(event.counts) === JSON.stringify(tally) ? event : undefined;
  }, `the MQTT event of ${rollout.id} with the final counts (last: ${JSON.stringify(events.get(rollout.id)?.at(-1))})`);
  expect(last.summary).toBe(api.body.summary);
  const row = buildJobsSlice(engine, undefined, engine.now()).rollouts.find(r => r.rollout.id === rollout.id);
  expect(row?.tally).toEqual(tally);
}

describe('rollouts count what happened to each device, the same everywhere', () => {
  it('finished with one flashed, two skipped and one cancelled: each named, none called done that was not flashed', async () => {
    world = await otaWorld({
      specs: [
        {id: 'm-flash', generation: 'v3', fw: old},
        {id: 'm-same1', generation: 'v3', fw: current},
        {id: 'm-same2', generation: 'v3', fw: current},
        {id: 'm-away', generation: 'v3', fw: old},
      ],
    });
    const {engine, fleet} = world;
    const events = await watchRolloutEvents(engine);
    await fleet.device('m-away')!.goOffline({will: true});
    await waitFor(() => engine.inventory.get('homie/m-away')?.state === 'lost', 'm-away lost');
    const notices: string[] = [];
    engine.bus.on('notice', n => notices.push(n.text));
    const created = engine.ota.create({deviceKeys: fleet.devices.map(d => d.key), firmware: target, rollout: {scope: 'test mix', canary: false, maxFailures: 1}});
    expect(created.skipped).toHaveLength(2);
    const id = created.rollout!.id;
    const flash = created.jobs.find(j => j.deviceId === 'm-flash')!;
    const away = created.jobs.find(j => j.deviceId === 'm-away')!;
    expect((await finished(engine, flash.id)).state).toBe('done');
    await waitFor(() => engine.ota.get(away.id)?.waitKind === 'device', 'the lost device to be waited for');
    expect(engine.ota.cancel(away.id)).toMatchObject({ok: true});
    const rollout = await ended(engine, id);
    expect(rollout.state).toBe('done');
    await expectCountsEverywhere(engine, events, rollout, {devices: 4, done: 1, skipped: 2, cancelled: 1, failed: 0});
    expect(notices).toContain(`rollout ${id} finished: 4 devices: 1 done · 2 skipped (up to date) · 1 cancelled`);
  });

  it('stopped after a failure: stays listed with its reason until dismissed, by the API or the engine', async () => {
    world = await otaWorld({
      specs: [
        {id: 's-bad', generation: 'v3', fw: old, faults: {flashErrorAt: 20}},
        {id: 's-two', generation: 'v3', fw: old},
        {id: 's-three', generation: 'v3', fw: old},
      ],
      config: {concurrency: '1'},
    });
    const {engine} = world;
    const events = await watchRolloutEvents(engine);
    const created = engine.ota.create({deviceKeys: ['homie/s-bad', 'homie/s-two', 'homie/s-three'], firmware: target, rollout: {scope: 'test stop', canary: false, maxFailures: 1}});
    const id = created.rollout!.id;
    const base = `http://127.0.0.1:${engine.http.boundPort}/api/rollouts/${id}`;
    // a running rollout cannot be dismissed
    const early = await fetch(`${base}/dismiss`, {method: 'POST'});
    expect(early.status).toBe(409);
    expect((await early.json() as {error: string}).error).toMatch(/only a rollout that has ended can be dismissed/);

    const rollout = await ended(engine, id);
    expect(rollout).toMatchObject({state: 'stopped', reason: '1 failure reached the limit of 1'});
    await expectCountsEverywhere(engine, events, rollout, {devices: 3, done: 0, skipped: 0, cancelled: 2, failed: 1});
    expect((await apiRollout(engine, id)).body.reason).toBe('1 failure reached the limit of 1');
    // long after, it is still there: nothing but a dismissal removes it
    await new Promise(resolve => setTimeout(resolve, 1500));
    expect(engine.ota.rollouts().map(r => r.id)).toContain(id);

    const dismissed = await fetch(`${base}/dismiss`, {method: 'POST'});
    expect(dismissed.status).toBe(200);
    expect(engine.ota.rollouts()).toEqual([]);
    expect((await apiRollout(engine, id)).status).toBe(404);
    // its jobs stay
    expect(engine.ota.list().filter(j => j.rolloutId === id)).toHaveLength(3);
    await waitFor(() => events.get(id)?.at(-1)?.state === 'dismissed', 'the dismissal event');
  });

  it('canary failed: the rest are cancelled and counted as cancelled, the canary as failed', async () => {
    world = await otaWorld({
      specs: [
        {id: 'c-canary', generation: 'v3', fw: old, faults: {flashErrorAt: 10}},
        {id: 'c-two', generation: 'v3', fw: old},
        {id: 'c-three', generation: 'v3', fw: old},
      ],
    });
    const {engine} = world;
    const events = await watchRolloutEvents(engine);
    const created = engine.ota.create({deviceKeys: ['homie/c-canary', 'homie/c-two', 'homie/c-three'], firmware: target, rollout: {scope: 'test canary', canary: true, maxFailures: 3}});
    const rollout = await ended(engine, created.rollout!.id);
    expect(rollout.state).toBe('stopped');
    expect(rollout.reason).toMatch(/^the canary c-canary failed: writing the flash failed on the device \(500 FLASH_ERROR\)/);
    await expectCountsEverywhere(engine, events, rollout, {devices: 3, done: 0, skipped: 0, cancelled: 2, failed: 1});
  });

  it('cancelled by the user: what was done stays done, what had not started is cancelled', async () => {
    world = await otaWorld({specs: [{id: 'u-ok', generation: 'v3', fw: old}, {id: 'u-away', generation: 'v3', fw: old}]});
    const {engine, fleet} = world;
    const events = await watchRolloutEvents(engine);
    await fleet.device('u-away')!.goOffline({will: true});
    await waitFor(() => engine.inventory.get('homie/u-away')?.state === 'lost', 'u-away lost');
    const created = engine.ota.create({deviceKeys: ['homie/u-ok', 'homie/u-away'], firmware: target, rollout: {scope: 'test cancel', canary: false, maxFailures: 1}});
    const id = created.rollout!.id;
    await finished(engine, created.jobs[0]!.id);
    const res = await fetch(`http://127.0.0.1:${engine.http.boundPort}/api/rollouts/${id}/cancel`, {method: 'POST'});
    expect(res.status).toBe(200);
    const rollout = await ended(engine, id);
    expect(rollout).toMatchObject({state: 'cancelled', reason: 'cancelled by the user'});
    await expectCountsEverywhere(engine, events, rollout, {devices: 2, done: 1, skipped: 0, cancelled: 1, failed: 0});
    // cancelling again says why not
    expect(engine.ota.setRolloutState(id, 'cancelled').message).toMatch(/has been cancelled: nothing to cancel/);
  });

  it('a jobs.json written before rollouts kept counts loads with counts made from its jobs', async () => {
    const tmp = tempDir();
    try {
      const job = (id: string, deviceKey: string, state: string) => ({
        id, deviceKey, deviceId: deviceKey.split('/')[1], firmware: {name: 'relay', version: '1.1.0', file: 'relay-1.1.0.bin', md5: 'a'.repeat(32), size: 1000, chip: 'esp8266', gzip: false},
        method: 'mqtt-push', state, createdAt: Number(id.slice(2)), updatedAt: 1, attempt: 1, from: {}, rolloutId: 'r-1', timeline: [],
      });
      fs.mkdirSync(path.join(tmp.dir, 'firmwares'));
      fs.writeFileSync(path.join(tmp.dir, 'firmwares', 'jobs.json'), JSON.stringify({
        version: 1, nextId: 9, history: {},
        rollouts: [{id: 'r-1', firmware: {name: 'relay', version: '1.1.0'}, scope: 'old', state: 'done', maxFailures: 1, createdAt: 1, updatedAt: 2, reason: '3/4 done, 0 failed'}],
        // the same device twice: a failed attempt and its retry that was done
        jobs: [job('j-2', 'homie/a', 'done'), job('j-3', 'homie/b', 'skipped'), job('j-4', 'homie/c', 'failed'), job('j-5', 'homie/c', 'done'), job('j-6', 'homie/d', 'cancelled')],
      }));
      const engine = createEngine(testConfig(tmp.dir, {brokerPort: '0'}));
      await engine.start();
      try {
        expect(engine.ota.rollout('r-1')!.counts).toEqual({devices: 4, done: 2, skipped: 1, cancelled: 1, failed: 0});
        expect(engine.ota.rollout('r-1')!.reason).toBeUndefined();
      } finally {
        await engine.stop();
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('a retry counts the device once, by its newest attempt; the same job is not retried twice', async () => {
    world = await otaWorld({
      specs: [{id: 't-bad', generation: 'v3', fw: old, faults: {flashErrorAt: 20}}, {id: 't-two', generation: 'v3', fw: old}],
      config: {concurrency: '1'},
    });
    const {engine, fleet} = world;
    const created = engine.ota.create({deviceKeys: ['homie/t-bad', 'homie/t-two'], firmware: target, rollout: {scope: 'test retry', canary: false, maxFailures: 1}});
    const id = created.rollout!.id;
    await ended(engine, id);
    const cancelled = created.jobs.find(j => j.deviceId === 't-two')!;
    expect(engine.ota.get(cancelled.id)!.state).toBe('cancelled');
    const again = engine.ota.retry(cancelled.id);
    expect(again.ok).toBe(true);
    expect(engine.ota.retryRefusal(cancelled.id)).toBe(`${cancelled.id} was already retried as ${again.job!.id}`);
    // the device is open again in its (stopped) rollout, then done
    expect(tallyOf(engine.ota.rollout(id)!, openByRollout(engine.ota.list()).get(id))).toMatchObject({cancelled: 0, failed: 1});
    expect((await finished(engine, again.job!.id)).state).toBe('done');
    const counts = engine.ota.rollout(id)!.counts;
    expect(counts).toEqual({devices: 2, done: 1, skipped: 0, cancelled: 0, failed: 1});
    expect(countFromJobs(id, engine.ota.list())).toEqual(counts);
    expect(fleet.device('t-two')!.fw.version).toBe('1.1.0');
  });
});
