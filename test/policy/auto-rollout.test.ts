import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import {afterEach, describe, expect, it} from 'vitest';
import type {Engine} from '../../src/engine/engine.js';
import type {Job} from '../../src/engine/ota/job.js';
import type {Rollout} from '../../src/engine/ota/types.js';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {buildJobsSlice} from '../../src/store/jobs-slice.js';
import {rolloutRow} from '../../src/ui/views/queue/format.js';
import {otaWorld, type OtaWorld} from '../ota/helpers.js';
import {waitFor} from '../helpers/wait-for.js';

let world: OtaWorld | null = null;
let watcher: mqtt.MqttClient | null = null;
afterEach(async () => {
  await watcher?.endAsync();
  watcher = null;
  await world?.close();
  world = null;
});

const FROM = {name: 'relay', version: '1.0.1'};

async function api(engine: Engine, method: string, route: string, body?: unknown): Promise<{status: number; json: Record<string, unknown>}> {
  const res = await fetch(`http://127.0.0.1:${engine.http.boundPort}${route}`, {method, ...(body ? {headers: {'content-type': 'application/json'}, body: JSON.stringify(body)} : {})});
  return {status: res.status, json: await res.json() as Record<string, unknown>};
}

/** Every job and rollout event homie-ota publishes, in order. */
async function watchEvents(engine: Engine): Promise<Array<{topic: string; event: Record<string, unknown>}>> {
  const events: Array<{topic: string; event: Record<string, unknown>}> = [];
  watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${engine.broker!.boundPort}`);
  watcher.on('message', (topic, payload) => events.push({topic, event: JSON.parse(payload.toString()) as Record<string, unknown>}));
  await watcher.subscribeAsync(['homie-ota/jobs/+', 'homie-ota/rollouts/+']);
  return events;
}

/** Drop relay-<version>.bin into the firmware folder as a user would: written elsewhere, then moved in. */
function drop(dir: string, version: string): void {
  const outside = path.join(dir, `build-${version}.bin`);
  fs.writeFileSync(outside, buildFirmwareImage({name: 'relay', version, size: 40_000}));
  fs.renameSync(outside, path.join(dir, 'firmwares', `relay-${version}.bin`));
}

async function autoRollout(engine: Engine, version: string): Promise<Rollout> {
  return waitFor(() => engine.ota.rollouts().find(r => r.auto && r.firmware.version === version), `an automatic rollout of relay ${version}`, 20_000);
}

async function ended(engine: Engine, id: string, timeoutMs = 25_000): Promise<Rollout> {
  return waitFor(() => {
    const r = engine.ota.rollout(id);
    return r && r.state !== 'running' && r.state !== 'paused' ? r : undefined;
  }, `rollout ${id} to end (now ${engine.ota.rollout(id) ? engine.ota.rolloutSummary(engine.ota.rollout(id)!) : 'none'})`, timeoutMs);
}

const timeOf = (job: Job, state: string) => job.timeline.find(e => e.state === state)?.time;

describe('compile to fleet: an armed name rolls out by itself, canary first', () => {
  it('50 devices on relay 1.0.1, relay armed over the API, relay-1.0.2.bin dropped: canary, then the rest, all verified done; the pinned one keeps its version', async () => {
    const specs = Array.from({length: 50}, (_, i) => ({id: `r-${String(i).padStart(2, '0')}`, generation: 'v3' as const, fw: FROM}));
    world = await otaWorld({specs, firmware: [['relay-1.0.1.bin', {...FROM, size: 40_000}]], config: {concurrency: '8'}});
    const {engine, dir} = world;
    const events = await watchEvents(engine);
    const armed = await api(engine, 'PUT', '/api/policies', {policies: {relay: {concurrency: 4}}});
    expect(armed.status).toBe(200);
    expect(armed.json.policies).toMatchObject({relay: {canary: true, concurrency: 4, maxFailures: 1, outdatedOnly: true, onlineOnly: false, window: null, handled: '1.0.1'}});
    expect((await api(engine, 'POST', '/api/devices/r-17/pin')).status).toBe(200);
    expect(fs.existsSync(path.join(dir, 'firmwares', 'policies.json'))).toBe(true);

    drop(dir, '1.0.2');
    const rollout = await autoRollout(engine, '1.0.2');
    expect(rollout.auto).toEqual({policy: 'relay', file: 'relay-1.0.2.bin', via: 'drop', source: 'relay-1.0.2.bin'});
    expect(rollout.counts.devices).toBe(49);
    const done = await ended(engine, rollout.id, 28_000);
    expect(done.state).toBe('done');
    expect(done.counts).toMatchObject({devices: 49, done: 49, failed: 0, cancelled: 0});

    const jobs = engine.ota.list().filter(j => j.rolloutId === rollout.id);
    const canary = jobs.find(j => j.id === rollout.canaryJobId)!;
    expect(canary.deviceId).toBe('r-00');
    const canaryDone = timeOf(canary, 'done')!;
    // nobody else was sent anything before the canary came back verified
    for (const job of jobs.filter(j => j !== canary)) expect(timeOf(job, 'sending')!).toBeGreaterThanOrEqual(canaryDone);
    expect(jobs.every(j => j.state === 'done')).toBe(true);
    // the rollout's own limit, under OTA_CONCURRENCY 8
    expect(world.maxConcurrent).toBe(4);
    for (const device of world.fleet.devices) {
      expect(engine.inventory.get(device.key)?.fw.version).toBe(device.id === 'r-17' ? '1.0.1' : '1.0.2');
    }
    expect(jobs.some(j => j.deviceId === 'r-17')).toBe(false);
    // the events and the API say it was automatic, and what started it
    const jobEvent = events.find(e => e.topic === `homie-ota/jobs/${canary.id}`)!.event;
    expect(jobEvent).toMatchObject({rollout: rollout.id, automatic: true, trigger: {file: 'relay-1.0.2.bin', via: 'drop'}});
    expect(events.find(e => e.topic === `homie-ota/rollouts/${rollout.id}`)!.event).toMatchObject({automatic: true, trigger: {policy: 'relay', via: 'drop'}});
    const listed = await api(engine, 'GET', '/api/jobs');
    expect((listed.json.jobs as Array<Record<string, unknown>>).find(j => j.id === canary.id)).toMatchObject({automatic: true, trigger: {file: 'relay-1.0.2.bin'}});
    const policies = await api(engine, 'GET', '/api/policies');
    expect(policies.json).toMatchObject({policies: {relay: {handled: '1.0.2', rollout: {id: rollout.id, state: 'done'}}}, pins: [{key: 'homie/r-17', id: 'r-17'}]});
  }, 60_000);

  it('a canary whose flash fails stops the automatic rollout with nobody else touched, said in the Queue, the log and an MQTT event', async () => {
    const specs = [
      {id: 'a-canary', generation: 'v3' as const, fw: FROM, faults: {flashErrorAt: 30}},
      ...Array.from({length: 19}, (_, i) => ({id: `r-${String(i).padStart(2, '0')}`, generation: 'v3' as const, fw: FROM})),
    ];
    world = await otaWorld({specs, firmware: [['relay-1.0.1.bin', {...FROM, size: 40_000}]], config: {concurrency: '4'}});
    const {engine, dir} = world;
    const events = await watchEvents(engine);
    const notices: string[] = [];
    engine.bus.on('notice', n => notices.push(`${n.level} ${n.text}`));
    expect(engine.policies.arm('relay')).toMatchObject({ok: true});
    drop(dir, '1.0.2');
    const rollout = await autoRollout(engine, '1.0.2');
    const stopped = await ended(engine, rollout.id);
    expect(stopped.state).toBe('stopped');
    expect(stopped.reason).toMatch(/^the canary a-canary failed: /);
    const jobs = engine.ota.list().filter(j => j.rolloutId === rollout.id);
    const others = jobs.filter(j => j.id !== rollout.canaryJobId);
    expect(others).toHaveLength(19);
    for (const job of others) {
      expect(job.state).toBe('cancelled');
      expect(job.timeline.some(e => e.state === 'sending' || e.state === 'flashing')).toBe(false);
    }
    for (const device of world.fleet.devices) expect(engine.inventory.get(device.key)?.fw.version).toBe('1.0.1');
    expect(notices.find(n => n.startsWith('error automatic rollout'))).toMatch(new RegExp(`^error automatic rollout ${rollout.id} of relay 1.0.2 \\(from relay-1.0.2.bin\\) stopped: the canary a-canary failed`));
    const row = buildJobsSlice(engine, undefined, engine.now()).rollouts.find(r => r.rollout.id === rollout.id)!;
    expect(row.rollout.state).toBe('stopped');
    // the Queue's rollout line, as drawn
    expect(rolloutRow(row)).toBe(`${rollout.id}    stopped: auto relay 1.0.2 · 20 devices: 19 cancelled · 1 failed · ${stopped.reason} · automatic: devices running relay`);
    const event = await waitFor(() => events.filter(e => e.topic === `homie-ota/rollouts/${rollout.id}`).map(e => e.event).find(e => e.state === 'stopped'), 'the stopped rollout event');
    expect(event).toMatchObject({automatic: true, reason: stopped.reason, trigger: {file: 'relay-1.0.2.bin'}});
    expect(engine.policies.policy('relay')).toMatchObject({alert: true, status: expect.stringContaining(`${rollout.id} of 1.0.2 stopped: the canary a-canary failed`)});
  }, 60_000);
});

describe('an automatic rollout outside its window, and a newer version filed while one runs', () => {
  it('waits, saying when it starts; the newer version waits for the open rollout to end, then rolls out itself', async () => {
    const specs = ['w-1', 'w-2', 'w-3'].map(id => ({id, generation: 'v3' as const, fw: FROM}));
    world = await otaWorld({specs, firmware: [['relay-1.0.1.bin', {...FROM, size: 40_000}]]});
    const {engine, dir} = world;
    // a window that opens in an hour or two (local time): closed now
    const hour = (new Date().getHours() + 2) % 24;
    const window = `${String(hour).padStart(2, '0')}:00-${String((hour + 1) % 24).padStart(2, '0')}:00`;
    expect(engine.policies.arm('relay', {window})).toMatchObject({ok: true});
    drop(dir, '1.0.2');
    const first = await autoRollout(engine, '1.0.2');
    const waiting = await waitFor(() => {
      const jobs = engine.ota.list().filter(j => j.rolloutId === first.id);
      return jobs.length === 3 && jobs.every(j => j.state === 'waiting' && j.waitingFor?.includes('outside its window')) ? jobs : undefined;
    }, 'every job waiting for the window');
    expect(waiting[0]!.waitingFor).toBe(`rollout ${first.id} is outside its window ${window.replace('-', '–')} (local time); starts at ${window.slice(0, 5)}${hour < new Date().getHours() ? ' tomorrow' : ''}`);
    expect(engine.policies.policy('relay')!.status).toContain('outside its window');

    drop(dir, '1.0.3');
    await waitFor(() => engine.firmware.byFile('relay-1.0.3.bin'), 'relay-1.0.3.bin filed');
    await waitFor(() => engine.policies.policy('relay')!.status.endsWith('; 1.0.3 waits for it to end') || undefined, 'the policy to say 1.0.3 waits');
    expect(engine.ota.rollouts().filter(r => r.auto)).toHaveLength(1);
    expect(engine.ota.setRolloutState(first.id, 'cancelled')).toMatchObject({ok: true});
    const second = await autoRollout(engine, '1.0.3');
    expect(second.counts.devices).toBe(3);
    expect(second.window).toEqual({start: window.slice(0, 5), end: window.slice(6)});
    expect(nothingSent(engine.ota.list())).toBe(true);
  }, 30_000);
});

function nothingSent(jobs: readonly Job[]): boolean {
  return jobs.every(j => !j.timeline.some(e => e.state === 'sending'));
}
