import type {FirmwareRecord} from '../firmware/store.js';
import type {Log} from '../log.js';
import {annotate, describeJob, type Job} from './job.js';
import type {JobBook} from './job-book.js';
import {planUpdate} from './plan.js';
import {describeWindow} from './window.js';
import type {DeviceLookup, FirmwareLookup} from './ports.js';
import type {RolloutBook} from './rollout-book.js';
import type {Rollout, RolloutTrigger, RolloutWindow} from './types.js';

export interface CreateJobsRequest {
  readonly deviceKeys: readonly string[];
  readonly firmware: {readonly name: string; readonly version: string};
  /** make it a rollout: the first device is a canary, stop after maxFailures failures */
  readonly rollout?: {
    readonly scope: string; readonly canary: boolean; readonly maxFailures: number;
    /** automatic rollouts: their own transfer limit, time window and what started them */
    readonly concurrency?: number; readonly window?: RolloutWindow; readonly auto?: RolloutTrigger;
  };
  /** allow a device to get another firmware name than it runs (default: only for a single device) */
  readonly allowNameChange?: boolean;
}

export interface CreateJobsResult {
  readonly jobs: readonly Job[];
  readonly skipped: ReadonlyArray<{readonly deviceKey: string; readonly reason: string}>;
  readonly refused: ReadonlyArray<{readonly deviceKey: string; readonly reason: string}>;
  readonly rollout?: Rollout;
  /** when nothing could be done at all */
  readonly error?: string;
}

/** What turning a request into jobs needs. */
export interface RequestEnv {
  readonly jobs: JobBook;
  readonly rollouts: RolloutBook;
  readonly devices: DeviceLookup;
  readonly firmware: Pick<FirmwareLookup, 'find'>;
  readonly log: Log;
  now(): number;
  notice(level: 'info' | 'warn' | 'error', text: string): void;
  /** a job was queued: its event goes out */
  queued(job: Job): void;
}

type Refusal = {deviceKey: string; reason: string};

/**
 * Queue a job for each device that can take the firmware (a rollout when asked); devices that already
 * run it are skipped (a history line each), the others refused with the reason.
 */
export function createJobs(env: RequestEnv, request: CreateJobsRequest): CreateJobsResult {
  const firmware = env.firmware.find(request.firmware.name, request.firmware.version);
  if (!firmware) return {jobs: [], skipped: [], refused: [], error: `no firmware ${request.firmware.name} ${request.firmware.version} in the store`};
  const now = env.now();
  const rolloutId = request.rollout ? env.jobs.newRolloutId() : undefined;
  const keys = [...new Set(request.deviceKeys)];
  const {jobs, skipped, refused, upToDate} = queue(env, keys, firmware, now, request.allowNameChange ?? keys.length === 1, rolloutId);
  let rollout: Rollout | undefined;
  if (request.rollout && rolloutId && jobs.length > 0) {
    rollout = env.rollouts.add({
      id: rolloutId,
      firmware: {name: firmware.name, version: firmware.version},
      scope: request.rollout.scope,
      state: 'running',
      canaryJobId: request.rollout.canary && jobs.length > 1 ? jobs[0]!.id : undefined,
      maxFailures: Math.max(1, request.rollout.maxFailures),
      createdAt: now,
      updatedAt: now,
      ...(request.rollout.concurrency ? {concurrency: request.rollout.concurrency} : {}),
      ...(request.rollout.window ? {window: request.rollout.window} : {}),
      ...(request.rollout.auto ? {auto: request.rollout.auto} : {}),
    }, jobs.length, upToDate.length);
    const upToDateNote = upToDate.length > 0 ? ` (${upToDate.length} more already run it: skipped)` : '';
    const auto = rollout.auto ? `automatic rollout (${rollout.auto.file} arrived by ${rollout.auto.via}) ` : 'rollout ';
    env.notice('info', `${auto}${rollout.id}: ${firmware.name} ${firmware.version} to ${jobs.length} device(s)${upToDateNote}${rollout.canaryJobId ? `, canary ${jobs[0]!.deviceId} first` : ''}, stop after ${rollout.maxFailures} failure(s)${rollout.window ? `, only ${describeWindow(rollout.window)} local time` : ''}`);
  }
  // their events go out once the rollout exists (an event says which rollout, and whether it was automatic)
  for (const job of jobs) env.queued(job);
  // the skipped devices belong to the rollout only when there is one
  for (const {job, reason} of upToDate) env.jobs.record(rollout ? job : {...job, rolloutId: undefined}, 'skipped', reason);
  env.jobs.trimIfDue();
  env.jobs.changed();
  return {jobs, skipped, refused, rollout};
}

function queue(env: RequestEnv, keys: readonly string[], firmware: FirmwareRecord, now: number, allowNameChange: boolean, rolloutId: string | undefined) {
  const jobs: Job[] = [];
  const skipped: Refusal[] = [];
  const refused: Refusal[] = [];
  const upToDate: Array<{job: Job; reason: string}> = [];
  for (const key of keys) {
    const device = env.devices.get(key);
    const active = device ? env.jobs.activeJobFor(key) : undefined;
    const plan = device && !active ? planUpdate(device, firmware, {allowNameChange, loading: env.devices.isLoading?.(key) === true}) : undefined;
    if (!device || !plan) {
      refused.push({deviceKey: key, reason: active ? `already has job ${active.id} (${active.state})` : 'not in the inventory'});
    } else if (plan.kind === 'refuse') {
      refused.push({deviceKey: key, reason: plan.reason});
    } else if (plan.kind === 'skip') {
      skipped.push({deviceKey: key, reason: plan.reason});
      upToDate.push({job: env.jobs.newJob(device, firmware, 'mqtt-push', now, rolloutId), reason: plan.reason});
    } else {
      const job = {...env.jobs.newJob(device, firmware, plan.method, now, rolloutId), ...(allowNameChange ? {} : {sameName: true})};
      const noted = plan.warnings.reduce((j, w) => annotate(j, now, `note: ${w}`), job);
      env.jobs.set(noted);
      jobs.push(noted);
      env.log.info(`queued ${describeJob(noted)}${plan.warnings.length ? ` (${plan.warnings.join('; ')})` : ''}`);
    }
  }
  return {jobs, skipped, refused, upToDate};
}

/** A new attempt of a failed or cancelled job (the caller checked that it may be retried). */
export function retryJob(env: RequestEnv, job: Job): {ok: boolean; message: string; job?: Job} {
  const device = env.devices.get(job.deviceKey)!;
  const firmware = env.firmware.find(job.firmware.name, job.firmware.version)!;
  const plan = planUpdate(device, firmware, {allowNameChange: !job.sameName});
  if (plan.kind !== 'go') return {ok: false, message: plan.reason};
  const now = env.now();
  const fresh: Job = {...env.jobs.newJob(device, firmware, plan.method, now, job.rolloutId), attempt: job.attempt + 1, ...(job.sameName ? {sameName: true} : {})};
  env.jobs.set({...job, retriedAs: fresh.id});
  env.jobs.set(annotate(fresh, now, `retry of ${job.id}`));
  // the device has no outcome in its rollout until the new attempt ends
  env.rollouts.tally(job, job.state as 'failed' | 'cancelled', -1);
  env.log.info(`retrying ${job.id} as ${fresh.id}`);
  env.jobs.changed();
  return {ok: true, message: `retrying as ${fresh.id}`, job: fresh};
}
