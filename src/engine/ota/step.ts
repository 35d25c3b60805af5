import type {FirmwareRecord} from '../firmware/store.js';
import type {DeviceRecord} from '../inventory/inventory.js';
import {annotate, describeJob, percent, transition, type Job, type WaitKind} from './job.js';
import {planUpdate} from './plan.js';
import {explainPushStatus, type PushStatus} from './push-status.js';
import type {OtaTimings} from './types.js';

/**
 * The life of one job as a pure function: (job, what happened, what homie-ota sees now) → the next
 * job and the effects to carry out. Nothing here reads a clock, a file or a socket; the OTA queue
 * (job-runner.ts) gathers the view, calls `step` and carries out the effects in order.
 */

export type FinalState = 'done' | 'failed' | 'cancelled' | 'skipped';

export type Effect =
  /** keep the new job; `announce`: a state change (log line, job event now, rollout counts), else only a job event at most once a second */
  | {readonly type: 'update'; readonly announce: boolean}
  /** the job ended: a history line, the rollout's counts, the transfer's bookkeeping dropped */
  | {readonly type: 'finished'; readonly state: FinalState; readonly note: string}
  | {readonly type: 'notice'; readonly level: 'info' | 'error'; readonly text: string}
  | {readonly type: 'log'; readonly text: string}
  /** begin the transfer: jobs.json says "sending" first, then the push or `$ota` is published */
  | {readonly type: 'send'; readonly device: DeviceRecord; readonly firmware: FirmwareRecord};

export interface Step {
  readonly job: Job;
  readonly effects: readonly Effect[];
}

/** What the queue sees of a job's world at a tick. */
export interface TickView {
  readonly device: DeviceRecord | undefined;
  /** the job's firmware as the store has it now (looked up for jobs that have not started) */
  readonly firmware: FirmwareRecord | undefined;
  /** the inventory's first load from the broker is complete */
  readonly inventoryLoaded: boolean;
  /** transfer slots free in this pass */
  readonly slots: number;
  /** what the job's rollout holds it back for (paused, its canary), or null */
  readonly gate: {readonly reason: string; readonly kind: WaitKind} | null;
  /** --readonly: nothing is started */
  readonly readonly: boolean;
  /** the broker connection broke since the transfer began (and came back, or took the unconfirmed push or `$ota` with it) */
  readonly reconnectedSinceSend: boolean;
}

export type StepEvent =
  | {readonly kind: 'tick'; readonly view: TickView}
  /** a status on $implementation/ota/status (not retained) */
  | {readonly kind: 'status'; readonly status: PushStatus}
  /** the HTTP download of a Homie 1.x job moved on, completed or stopped */
  | {readonly kind: 'download'; readonly done: number; readonly total: number; readonly finished: boolean; readonly error?: string}
  /** the push or `$ota` reached the broker (ok) or not; `unconfirmed`: it left, and the connection broke before the broker confirmed it */
  | {readonly kind: 'published'; readonly ok: boolean; readonly unconfirmed?: boolean}
  /** ended from outside: cancelled by the user or a rollout, failed by the pull endpoint or a firmware read */
  | {readonly kind: 'end'; readonly state: FinalState; readonly note: string};

export interface StepContext {
  readonly now: number;
  readonly timings: OtaTimings;
  readonly concurrency: number;
  /** where Homie 1.x devices download from (named when they do not) */
  readonly otaUrl: string;
}

export function step(job: Job, event: StepEvent, ctx: StepContext): Step {
  switch (event.kind) {
    case 'tick':
      return onTick(job, event.view, ctx);
    case 'status':
      return onStatus(job, event.status, ctx.now);
    case 'download':
      return onDownload(job, event, ctx.now);
    case 'published':
      if (job.state !== 'sending') return same(job);
      if (event.ok) return {job, effects: [{type: 'log', text: `sent ${describeJob(job)}`}]};
      // it may have reached the device: never sent a second time blindly, the device is watched
      if (event.unconfirmed) return {job, effects: [{type: 'log', text: `sent ${describeJob(job)}, but the broker connection broke before the broker confirmed it: watching whether the device got it`}]};
      // it never reached the broker, so the device was not attempted: wait and send again
      return changed(transition(job, 'waiting', ctx.now, 'the broker connection was down; will send again', {waitingFor: 'the broker connection; will send again', waitKind: 'broker', sentAt: undefined, progress: undefined}));
    case 'end':
      return finish(job, event.state, event.note, ctx.now);
  }
}

/** The job ended: its final state, and a notice when it was flashed or failed. */
export function finish(job: Job, state: FinalState, note: string, now: number): Step {
  const finished = transition(job, state, now, note, state === 'done' ? {result: note} : {});
  const effects: Effect[] = [{type: 'update', announce: true}, {type: 'finished', state, note}];
  if (state === 'done' || state === 'failed') {
    const what = `${job.firmware.name} ${job.firmware.version}`;
    effects.push({type: 'notice', level: state === 'failed' ? 'error' : 'info', text: `${job.deviceId}: ${state === 'done' ? `updated to ${what} ✓` : `update to ${what} failed: ${note}`}`});
  }
  return {job: finished, effects};
}

function same(job: Job): Step {
  return {job, effects: []};
}

function changed(job: Job, announce = true): Step {
  return {job, effects: [{type: 'update', announce}]};
}

function wait(job: Job, reason: string, kind: WaitKind, now: number): Step {
  if (job.state === 'waiting' && job.waitingFor === reason && job.waitKind === kind) return same(job);
  return changed(transition(job, 'waiting', now, job.state === 'waiting' ? undefined : reason, {waitingFor: reason, waitKind: kind}), job.state !== 'waiting');
}

function onTick(job: Job, view: TickView, ctx: StepContext): Step {
  switch (job.state) {
    case 'queued':
    case 'waiting':
      // --readonly sends nothing: a viewer must never push the jobs it loaded (the owner does)
      return view.readonly ? same(job) : startOrWait(job, view, ctx);
    case 'sending':
    case 'flashing':
      return watchTransfer(job, view, ctx);
    case 'rebooting':
    case 'verifying':
      return watchReturn(job, view.device, ctx, view.reconnectedSinceSend);
    default:
      return same(job);
  }
}

function startOrWait(job: Job, view: TickView, {now, concurrency}: StepContext): Step {
  const {device, firmware} = view;
  if (view.gate) return wait(job, view.gate.reason, view.gate.kind, now);
  // decide on complete records only: a device shows ready before all its attributes are in
  if (!view.inventoryLoaded) return wait(job, 'the inventory is still loading from the broker', 'inventory', now);
  if (!device) return wait(job, 'the device is not in the inventory; starts if it comes back', 'device', now);
  if (device.state !== 'ready') {
    return wait(job, device.state === 'sleeping' ? 'the device is asleep; starts when it wakes' : `the device is ${device.state}; starts when it reports ready`, 'device', now);
  }
  // the device may have changed since the job was queued (updated by hand, OTA switched off)
  if (!firmware) return finish(job, 'failed', `${job.firmware.file} is no longer in the firmware store`, now);
  const plan = planUpdate(device, firmware, {allowNameChange: !job.sameName});
  if (plan.kind === 'skip') return finish(job, 'skipped', plan.reason, now);
  if (plan.kind === 'refuse') return finish(job, 'failed', plan.reason, now);
  if (view.slots <= 0) return wait(job, `waiting for a transfer slot (${concurrency} in use)`, 'slot', now);
  const sending = transition(job, 'sending', now, job.method === 'mqtt-push' ? `pushing ${firmware.size} bytes over MQTT` : 'asking the device to download it ($ota)', {
    sentAt: now,
    from: {name: device.fw.name, version: device.fw.version, checksum: device.fw.checksum},
    progress: {done: 0, total: firmware.size, firstAt: now, lastAt: now},
  });
  return {job: sending, effects: [{type: 'update', announce: true}, {type: 'send', device, firmware}]};
}

function watchTransfer(job: Job, view: TickView, {now, timings, otaUrl}: StepContext): Step {
  const device = view.device;
  if (!job.sentAt) return same(job);
  if (job.method === 'v1-ota') {
    if (job.state === 'sending' && !job.acceptedAt && now - job.sentAt > timings.v1Request) {
      if (view.reconnectedSinceSend) return finish(job, 'failed', `the device did not download the firmware within ${seconds(timings.v1Request)} s of $ota, and the broker connection broke after it was sent: it may never have reached the device; retry the job`, now);
      return finish(job, 'failed', `the device did not download the firmware within ${seconds(timings.v1Request)} s of $ota: check that its ota.host/ota.port/ota.path point at ${otaUrl}`, now);
    }
    return same(job);
  }
  if (device && device.state !== 'ready') {
    // the device's connection broke mid-transfer (a broker restart, Wi-Fi, power): homie-esp8266 drops
    // an unfinished update then, so see what it runs when it is back rather than wait for a time-out
    const pct = percent(job) ?? 0;
    return changed(transition(job, 'rebooting', now, `the device went offline at ${pct}% of the transfer: waiting to see what it runs`, {flashedAt: now, sawReboot: true, cutAt: pct}));
  }
  if (job.state === 'sending' && now - job.sentAt > timings.pushAnswer) {
    if (view.reconnectedSinceSend) return finish(job, 'failed', `no answer to the push within ${seconds(timings.pushAnswer)} s, and the broker connection broke after it was sent: it may never have reached the device; retry the job`, now);
    return finish(job, 'failed', `no answer to the push within ${seconds(timings.pushAnswer)} s: the device ignored it (homie-esp8266 older than 2.0? a broker message size limit below ${job.firmware.size} bytes?)`, now);
  }
  if (job.state === 'flashing' && job.progress && now - job.progress.lastAt > timings.progressStall) {
    const pct = percent(job) ?? 0;
    // its last statuses were lost (our own broker connection broke), but it runs the new version
    if (device && runsTarget(device, job)) return finish(job, 'done', `back and running ${job.firmware.name} ${job.firmware.version} (its last statuses were not received)`, now);
    if (view.reconnectedSinceSend) {
      return finish(job, 'failed', `the transfer stopped at ${pct}% while the connection to the broker broke (a broker restart?); the device still runs ${device ? fw(device) : 'its old firmware'}: retry the job`, now);
    }
    return finish(job, 'failed', `progress stalled at ${pct}% for ${seconds(timings.progressStall)} s`, now);
  }
  return same(job);
}

function watchReturn(job: Job, device: DeviceRecord | undefined, {now, timings}: StepContext, reconnected = false): Step {
  const since = job.flashedAt ?? job.updatedAt;
  if (!device) return now - since > timings.reboot ? finish(job, 'failed', 'the device disappeared from the inventory after flashing', now) : same(job);
  if (device.state !== 'ready') {
    if (job.state === 'rebooting' && now - since > timings.reboot) {
      return finish(job, 'failed', `did not come back within ${seconds(timings.reboot)} s after flashing (last state: ${device.state})`, now);
    }
    return job.sawReboot ? same(job) : changed({...job, sawReboot: true}, false);
  }
  const target = job.firmware;
  if (job.state === 'verifying' && job.recheckAt) {
    if (!runsTarget(device, job) && job.sawReboot) return finish(job, 'failed', `rolled back: the device now runs ${fw(device)} again`, now);
    if (now >= job.recheckAt && runsTarget(device, job)) return finish(job, 'done', `still running ${target.name} ${target.version} ${seconds(now - (job.flashedAt ?? now))} s later`, now);
    return same(job);
  }
  if (runsTarget(device, job)) {
    const checksumNote = device.fw.checksum && device.fw.checksum !== target.md5 ? ' (its $fw/checksum differs from the file MD5, which ESP8266 cores ≥ 2.4.2 cause; the version is what counts)' : '';
    if (device.implementation?.toLowerCase().startsWith('esp32') && timings.esp32Recheck > 0) {
      return changed(transition(job, 'verifying', now, `back on ${target.name} ${target.version}${checksumNote}; ESP32: checking again in ${seconds(timings.esp32Recheck)} s for a silent rollback`, {
        recheckAt: now + timings.esp32Recheck,
        sawReboot: false,
      }));
    }
    return finish(job, 'done', `back and running ${target.name} ${target.version}${checksumNote}`, now);
  }
  if (!job.sawReboot) {
    if (now - since <= timings.reboot) return same(job);
    return finish(job, 'failed', job.resumed
      ? `homie-ota was restarted during the transfer and the device did not install the firmware: it still runs ${fw(device)}; retry the job`
      : reconnected
        ? `the device never rebooted after flashing, and the connection to the broker broke meanwhile (a broker restart?); it still runs ${fw(device)}: retry the job`
        : `the device never rebooted after flashing; it still runs ${fw(device)}`, now);
  }
  // back, but on another version: give its attributes a moment (Homie 1.5 sends $online before $fwversion)
  if (job.state !== 'verifying') return changed(transition(job, 'verifying', now, `back, reporting ${fw(device)}; waiting for its attributes to settle`));
  if (now - job.updatedAt <= timings.verifyGrace) return same(job);
  return finish(job, 'failed', job.cutAt !== undefined
    ? `the transfer was cut at ${job.cutAt}% when the device went offline (a broker restart, Wi-Fi or power); it came back still running ${fw(device)}, nothing was installed: retry the job`
    : `came back running ${fw(device)}, not ${target.name} ${target.version} (the new image was rejected or rolled back)`, now);
}

/** A pushed job that has been sent and still expects the device's statuses (also after a restart mid-transfer). */
export function listensForStatus(job: Job): boolean {
  if (job.method !== 'mqtt-push' || !job.sentAt) return false;
  return job.state === 'sending' || job.state === 'flashing' || (job.state === 'rebooting' && job.resumed === true);
}

/** A status of an MQTT push. */
function onStatus(job: Job, status: PushStatus, now: number): Step {
  if (!listensForStatus(job)) return same(job);
  switch (status.code) {
    case 202:
      if (job.state !== 'sending') return same(job);
      return changed(transition(job, 'flashing', now, 'the device accepted the image (202)', {acceptedAt: now, progress: {done: 0, total: job.firmware.size, firstAt: now, lastAt: now}}));
    case 206: {
      const s = status as {done: number; total: number};
      const base = job.state === 'sending' || job.state === 'rebooting'
        ? transition(job, 'flashing', now, job.state === 'rebooting' ? 'still flashing after the restart' : 'flashing', {acceptedAt: job.acceptedAt ?? now, resumed: false})
        : job;
      return progressed(job, base, s.done, s.total, now);
    }
    case 200:
      if (job.state === 'sending') {
        // homie-esp8266 always says 202 before 200: a bare 200 is a stale status of an earlier update.
        // If it was real after all, the device reboots and the reboot check finds out what it runs.
        return changed(annotate(job, now, 'ignored a 200 that came before any 202/206 (stale status of an earlier update?)'), false);
      }
      return changed(transition(job, 'rebooting', now, 'flashed (200); waiting for the device to reboot and report its version', {
        flashedAt: now,
        resumed: false,
        progress: job.progress ? {...job.progress, done: job.progress.total, lastAt: now} : undefined,
      }));
    case 304:
      return finish(job, 'skipped', explainPushStatus(status), now);
    default:
      return finish(job, 'failed', explainPushStatus(status), now);
  }
}

function onDownload(job: Job, event: {done: number; total: number; finished: boolean; error?: string}, now: number): Step {
  const {done, total} = event;
  if (event.error) return finish(job, 'failed', event.error, now);
  if (event.finished) {
    return changed(transition(job, 'rebooting', now, `downloaded ${total} bytes; waiting for the device to reboot and report its version`, {
      flashedAt: now, sawReboot: true, progress: {done: total, total, firstAt: job.progress?.firstAt ?? now, lastAt: now},
    }));
  }
  const base = job.state === 'sending' && !job.acceptedAt ? transition(job, 'flashing', now, 'the device is downloading the image', {acceptedAt: now}) : job;
  return progressed(job, base, done, total, now);
}

/** Progress of a transfer; announced only when it also moved the job to another state. */
function progressed(job: Job, base: Job, done: number, total: number, now: number): Step {
  const firstAt = base.progress && base.progress.done > 0 ? base.progress.firstAt : now;
  return changed({...base, updatedAt: now, progress: {done, total, firstAt, lastAt: now}}, base !== job);
}

/** A job loaded from jobs.json: what a crash or restart left in the middle is watched, never re-sent blindly. */
export function reconcile(job: Job, now: number): Job {
  if (job.state === 'sending' || job.state === 'flashing') {
    // the device may still be flashing (its 206s tell), have finished (it reboots), or have
    // dropped the transfer (it never reboots: the reboot timeout says so)
    return transition(job, 'rebooting', now, 'homie-ota restarted during the transfer; watching what the device does next', {flashedAt: now, sawReboot: false, resumed: true});
  }
  if (job.state === 'rebooting' || job.state === 'verifying') {
    return annotate(job, now, 'homie-ota restarted; still verifying', {flashedAt: now, ...(job.recheckAt ? {recheckAt: Math.max(job.recheckAt, now)} : {})});
  }
  return job;
}

/**
 * The wall clock jumped by `delta`: the times an open job counts its waits from move with it, so no
 * timeout fires because of the jump and none waits an hour longer (timeline entries keep their times).
 */
export function shiftTimes(job: Job, delta: number): Job {
  const move = (time: number | undefined) => (time === undefined ? undefined : time + delta);
  return {
    ...job, updatedAt: job.updatedAt + delta, sentAt: move(job.sentAt), acceptedAt: move(job.acceptedAt), flashedAt: move(job.flashedAt),
    recheckAt: move(job.recheckAt), ...(job.progress ? {progress: {...job.progress, firstAt: job.progress.firstAt + delta, lastAt: job.progress.lastAt + delta}} : {}),
  };
}

function runsTarget(device: DeviceRecord, job: Job): boolean {
  return device.fw.name === job.firmware.name && device.fw.version === job.firmware.version;
}

/** "relay 1.2.0", or "an unknown firmware" */
export function fw(device: DeviceRecord): string {
  return [device.fw.name, device.fw.version].filter(Boolean).join(' ') || 'an unknown firmware';
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
