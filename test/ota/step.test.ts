import {describe, expect, it} from 'vitest';
import type {FirmwareRecord} from '../../src/engine/firmware/store.js';
import type {DeviceRecord} from '../../src/engine/inventory/inventory.js';
import type {Job} from '../../src/engine/ota/job.js';
import {parsePushStatus} from '../../src/engine/ota/push-status.js';
import {reconcile, shiftTimes, step, type Effect, type StepContext, type StepEvent, type TickView} from '../../src/engine/ota/step.js';
import {FAST} from './helpers.js';

// The job's life as a table: state × what happened × what homie-ota sees → the next state and the
// effects, with no broker, no HTTP server and no disk.

const NOW = 1_000_000;
const ctx: StepContext = {now: NOW, timings: FAST, concurrency: 2, otaUrl: 'http://10.0.0.2:9080/ota'};

const device = (patch: Partial<DeviceRecord> = {}): DeviceRecord => ({
  key: 'homie/relay-1', id: 'relay-1', prefix: 'homie', homie: '3.0.1', state: 'ready', online: true, confirmed: true,
  fw: {name: 'relay', version: '1.0.0'}, implementation: 'esp8266', otaEnabled: true, updateAvailable: false,
  ...patch,
}) as DeviceRecord;
const onTarget = (patch: Partial<DeviceRecord> = {}) => device({fw: {name: 'relay', version: '1.1.0'}, ...patch});
const v1Device = device({homie: '1.x', otaEnabled: undefined});

const firmware: FirmwareRecord = {name: 'relay', version: '1.1.0', file: 'relay-1.1.0.bin', size: 100_000, md5: 'b'.repeat(32), chip: 'esp8266', gzip: false, description: ''} as FirmwareRecord;

const job = (patch: Partial<Job> = {}): Job => ({
  id: 'j-1', deviceKey: 'homie/relay-1', deviceId: 'relay-1', method: 'mqtt-push', state: 'queued', createdAt: 0, updatedAt: NOW - 1000, attempt: 1,
  firmware: {name: 'relay', version: '1.1.0', file: 'relay-1.1.0.bin', md5: 'b'.repeat(32), size: 100_000, chip: 'esp8266', gzip: false},
  from: {name: 'relay', version: '1.0.0'}, timeline: [{time: 0, state: 'queued'}],
  ...patch,
});
const sent = (patch: Partial<Job> = {}) => job({state: 'sending', sentAt: NOW - 1000, progress: {done: 0, total: 100_000, firstAt: NOW - 1000, lastAt: NOW - 1000}, ...patch});
const flashing = (patch: Partial<Job> = {}) => sent({state: 'flashing', acceptedAt: NOW - 900, progress: {done: 40_000, total: 100_000, firstAt: NOW - 900, lastAt: NOW - 500}, ...patch});
const flashed = (patch: Partial<Job> = {}) => sent({state: 'rebooting', flashedAt: NOW - 1000, ...patch});

const view = (patch: Partial<TickView> = {}): TickView => ({
  device: device(), firmware, inventoryLoaded: true, slots: 1, gate: null, readonly: false, reconnectedSinceSend: false, ...patch,
});
const tick = (patch: Partial<TickView> = {}): StepEvent => ({kind: 'tick', view: view(patch)});
const status = (payload: string): StepEvent => ({kind: 'status', status: parsePushStatus(payload)!});
const late = (ms: number): StepContext => ({...ctx, now: NOW + ms});

/** "update" (a state change, announced), "progress" (not announced), "finished:failed", "notice:error", "send", "log" */
function effects(list: readonly Effect[]): string[] {
  return list.map(e => {
    switch (e.type) {
      case 'update': return e.announce ? 'update' : 'progress';
      case 'finished': return `finished:${e.state}`;
      case 'notice': return `notice:${e.level}`;
      default: return e.type;
    }
  });
}

type Row = [name: string, job: Job, event: StepEvent, context: StepContext, state: Job['state'], effects: string[], note?: RegExp];

const FAILED = ['update', 'finished:failed', 'notice:error'];
const DONE = ['update', 'finished:done', 'notice:info'];

const table: Row[] = [
  // a job that has not started
  ['a paused rollout holds it', job(), tick({gate: {reason: 'rollout r-1 is paused', kind: 'paused'}}), ctx, 'waiting', ['update'], /paused/],
  ['the inventory still loading holds it', job(), tick({inventoryLoaded: false}), ctx, 'waiting', ['update'], /still loading/],
  ['a device not in the inventory holds it', job(), tick({device: undefined}), ctx, 'waiting', ['update'], /not in the inventory/],
  ['a sleeping device holds it', job(), tick({device: device({state: 'sleeping'})}), ctx, 'waiting', ['update'], /asleep/],
  ['a waiting job that waits for something else is not announced again', job({state: 'waiting', waitingFor: 'x', waitKind: 'device'}), tick({device: device({state: 'lost'})}), ctx, 'waiting', ['progress']],
  ['firmware gone from the store fails it', job(), tick({firmware: undefined}), ctx, 'failed', FAILED, /no longer in the firmware store/],
  ['a device that already runs the target skips it, without a notice', job(), tick({device: onTarget()}), ctx, 'skipped', ['update', 'finished:skipped'], /already runs relay 1.1.0/],
  ['a device that switched OTA off fails it', job(), tick({device: device({otaEnabled: false})}), ctx, 'failed', FAILED, /OTA is disabled/],
  ['no free slot: it waits for one', job(), tick({slots: 0}), ctx, 'waiting', ['update'], /transfer slot \(2 in use\)/],
  ['a ready device and a free slot: it is sent', job(), tick(), ctx, 'sending', ['update', 'send'], /pushing 100000 bytes/],
  ['a Homie 1.x device is asked to download', job({method: 'v1-ota'}), tick({device: v1Device}), ctx, 'sending', ['update', 'send'], /\$ota/],

  // the transfer
  ['silence after the push fails it after the answer time', sent(), tick(), late(FAST.pushAnswer), 'failed', FAILED, /no answer to the push within 4 s/],
  ['the device dropping off mid-transfer: see what it runs when back', flashing(), tick({device: device({state: 'lost'})}), ctx, 'rebooting', ['update'], /offline at 40%/],
  ['stalled progress fails it', flashing(), tick(), late(FAST.progressStall), 'failed', FAILED, /progress stalled at 40%/],
  ['stalled during a broker reconnect: says so', flashing(), tick({reconnectedSinceSend: true}), late(FAST.progressStall), 'failed', FAILED, /connection to the broker broke/],
  ['stalled, but the device runs the target: done', flashing(), tick({device: onTarget()}), late(FAST.progressStall), 'done', DONE, /last statuses were not received/],
  ['a Homie 1.x device that never downloads names the URL', sent({method: 'v1-ota'}), tick({device: v1Device}), late(FAST.v1Request), 'failed', FAILED, /point at http:\/\/10\.0\.0\.2:9080\/ota/],

  // the device's answers to a push
  ['202: flashing', sent(), status('202'), ctx, 'flashing', ['update'], /accepted the image/],
  ['206 while flashing: progress only', flashing(), status('206 60000/100000'), ctx, 'flashing', ['progress']],
  ['206 before any 202: flashing', sent(), status('206 1000/100000'), ctx, 'flashing', ['update']],
  ['a bare 200 before any 202 is a stale status', sent(), status('200'), ctx, 'sending', ['progress'], /ignored a 200/],
  ['200 after flashing: rebooting', flashing(), status('200'), ctx, 'rebooting', ['update'], /flashed \(200\)/],
  ['304: skipped', flashing(), status('304'), ctx, 'skipped', ['update', 'finished:skipped'], /already runs this image/],
  ['400 NOT_ENOUGH_SPACE: failed in words', flashing(), status('400 NOT_ENOUGH_SPACE'), ctx, 'failed', FAILED, /does not fit the free sketch space/],
  ['a status after the 200 is not listened to', flashed(), status('206 1/2'), ctx, 'rebooting', []],
  ['after a restart mid-transfer, a 206 says it is still flashing', flashed({resumed: true}), status('206 1/2'), ctx, 'flashing', ['update'], /still flashing after the restart/],
  ['a Homie 1.x job takes no push status', sent({method: 'v1-ota'}), status('202'), ctx, 'sending', []],

  // the HTTP download of a Homie 1.x job
  ['the download begins: flashing', sent({method: 'v1-ota'}), {kind: 'download', done: 0, total: 100_000, finished: false}, ctx, 'flashing', ['update'], /downloading/],
  ['the download completes: rebooting', flashing({method: 'v1-ota'}), {kind: 'download', done: 100_000, total: 100_000, finished: true}, ctx, 'rebooting', ['update'], /downloaded 100000 bytes/],
  ['the download stops: failed', flashing({method: 'v1-ota'}), {kind: 'download', done: 5, total: 100_000, finished: false, error: 'the download stopped at 0%'}, ctx, 'failed', FAILED, /stopped at 0%/],

  // after the transfer
  ['the device away after flashing: a reboot is seen', flashed(), tick({device: device({state: 'init'})}), ctx, 'rebooting', ['progress']],
  ['the device away past the reboot time: failed', flashed({sawReboot: true}), tick({device: device({state: 'lost'})}), late(FAST.reboot), 'failed', FAILED, /did not come back within 6 s/],
  ['back on the target: done', flashed(), tick({device: onTarget()}), ctx, 'done', DONE, /back and running relay 1.1.0/],
  ['an ESP32 back on the target is checked again later', flashed(), tick({device: onTarget({implementation: 'esp32'})}), ctx, 'verifying', ['update'], /checking again in 2 s/],
  ['the ESP32 still on the target at the re-check: done', flashed({state: 'verifying', recheckAt: NOW}), tick({device: onTarget({implementation: 'esp32'})}), ctx, 'done', DONE, /still running relay 1.1.0/],
  ['the ESP32 rebooted into the old version: rolled back', flashed({state: 'verifying', recheckAt: NOW + 5000, sawReboot: true}), tick({device: device({implementation: 'esp32'})}), ctx, 'failed', FAILED, /rolled back/],
  ['back on another version: its attributes get a moment', flashed({sawReboot: true}), tick(), ctx, 'verifying', ['update'], /waiting for its attributes to settle/],
  ['still on the old version after the moment, the transfer cut: says so', flashed({state: 'verifying', sawReboot: true, cutAt: 40, updatedAt: NOW - FAST.verifyGrace - 1}), tick(), ctx, 'failed', FAILED, /cut at 40%/],
  ['never rebooted, with no reboot seen: failed', flashed(), tick(), late(FAST.reboot), 'failed', FAILED, /^the device never rebooted after flashing; it still runs relay 1\.0\.0$/],
  ['never rebooted while the broker connection broke: says so', flashed(), tick({reconnectedSinceSend: true}), late(FAST.reboot), 'failed', FAILED, /never rebooted after flashing, and the connection to the broker broke meanwhile .*retry the job/],
  ['never rebooted after a restart mid-transfer: failed, retry', flashed({resumed: true}), tick(), late(FAST.reboot), 'failed', FAILED, /homie-ota was restarted during the transfer/],

  // sending, and ends from outside
  ['the push reached the broker: logged', sent(), {kind: 'published', ok: true}, ctx, 'sending', ['log']],
  ['the broker was down: it waits and is sent again', sent(), {kind: 'published', ok: false}, ctx, 'waiting', ['update'], /broker connection was down/],
  ['the push left, but the broker connection broke before the broker confirmed it: watched, not sent again', sent(), {kind: 'published', ok: false, unconfirmed: true}, ctx, 'sending', ['log']],
  ['silence after an unconfirmed push: failed, saying it may never have reached the device', sent(), tick({reconnectedSinceSend: true}), late(FAST.pushAnswer), 'failed', FAILED, /no answer to the push within 4 s, and the broker connection broke after it was sent: it may never have reached the device; retry the job/],
  ['no download after an unconfirmed $ota: failed, saying so', sent({method: 'v1-ota'}), tick({device: v1Device, reconnectedSinceSend: true}), late(FAST.v1Request), 'failed', FAILED, /and the broker connection broke after it was sent: it may never have reached the device; retry the job/],
  ['a publish that returns after the job moved on changes nothing', flashing(), {kind: 'published', ok: false}, ctx, 'flashing', []],
  ['cancelled by the user: no notice', job({state: 'waiting'}), {kind: 'end', state: 'cancelled', note: 'cancelled by the user'}, ctx, 'cancelled', ['update', 'finished:cancelled'], /cancelled by the user/],
];

describe('step: the life of a job without a broker', () => {
  it.each(table)('%s', (_name, before, event, context, state, expected, note) => {
    const result = step(before, event, context);
    expect(result.job.state).toBe(state);
    expect(effects(result.effects)).toEqual(expected);
    if (note) expect(result.job.timeline.at(-1)?.note ?? result.job.waitingFor).toMatch(note);
    if (expected.length === 0) expect(result.job).toBe(before);
  });

  it('sends the device and the firmware it saw, and marks the time it was sent', () => {
    const result = step(job(), tick(), ctx);
    expect(result.job).toMatchObject({sentAt: NOW, progress: {done: 0, total: 100_000}, from: {name: 'relay', version: '1.0.0'}});
    expect(result.effects[1]).toEqual({type: 'send', device: device(), firmware});
  });

  it('a finished job tells the user what it ran to, with the reason of a failure', () => {
    const done = step(flashed(), tick({device: onTarget()}), ctx).effects.find(e => e.type === 'notice');
    expect(done).toEqual({type: 'notice', level: 'info', text: 'relay-1: updated to relay 1.1.0 ✓'});
    const failed = step(flashing(), status('403'), ctx).effects.find(e => e.type === 'notice');
    expect(failed).toEqual({type: 'notice', level: 'error', text: expect.stringMatching(/^relay-1: update to relay 1.1.0 failed: OTA is disabled on the device/)});
  });

  it('--readonly starts nothing', () => {
    const before = job();
    expect(step(before, tick({readonly: true}), ctx)).toEqual({job: before, effects: []});
  });

  it('a restart in the middle of a transfer is watched, never sent again', () => {
    expect(reconcile(flashing(), NOW)).toMatchObject({state: 'rebooting', resumed: true, sawReboot: false, flashedAt: NOW});
    expect(reconcile(flashed({state: 'verifying', recheckAt: NOW - 10}), NOW)).toMatchObject({state: 'verifying', recheckAt: NOW});
    const waiting = job({state: 'waiting'});
    expect(reconcile(waiting, NOW)).toBe(waiting);
  });

  it('a clock jump moves the times a job waits from, not its timeline', () => {
    const moved = shiftTimes(flashing(), 60_000);
    expect(moved).toMatchObject({sentAt: NOW - 1000 + 60_000, acceptedAt: NOW - 900 + 60_000, progress: {firstAt: NOW - 900 + 60_000, lastAt: NOW - 500 + 60_000}});
    expect(moved.timeline).toEqual(flashing().timeline);
    // so the stall is not seen a minute early
    expect(step(moved, tick(), late(FAST.progressStall)).job.state).toBe('flashing');
  });
});
