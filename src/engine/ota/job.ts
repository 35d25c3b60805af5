/**
 * OTA jobs: one device, one firmware, followed from the request to a verdict that is true — the device
 * came back running the target version. The states, in order:
 *
 *   queued → waiting (device offline/asleep, or no transfer slot) → sending (firmware on its way)
 *   → flashing (the device accepted it: 202, 206 x/y) → rebooting (200, or the download completed)
 *   → verifying (the device is back; ESP32 checked again later) → done
 *
 * and the other endings: failed (with the reason in words), cancelled, skipped (already up to date).
 */
export type JobState = 'queued' | 'waiting' | 'sending' | 'flashing' | 'rebooting' | 'verifying' | 'done' | 'failed' | 'cancelled' | 'skipped';

export const FINAL_STATES: ReadonlySet<JobState> = new Set(['done', 'failed', 'cancelled', 'skipped']);
/** states that hold one of the OTA_CONCURRENCY transfer slots */
export const TRANSFER_STATES: ReadonlySet<JobState> = new Set(['sending', 'flashing']);

/**
 * What a waiting job waits for. Only a free transfer slot and a rollout's canary can be foreseen (an
 * ETA holds); a device that is away, a paused rollout or a broken connection cannot.
 */
export type WaitKind = 'slot' | 'canary' | 'device' | 'paused' | 'inventory' | 'broker';

/**
 * How the firmware reaches the device:
 * - mqtt-push: homie-esp8266 ≥ 2.0 (Homie 2.0.x–4): the image published to $implementation/ota/firmware/<md5>
 * - v1-ota: Homie 1.x: `$ota` published, then the device downloads from OTA_ENDPOINT
 */
export type DeliveryMethod = 'mqtt-push' | 'v1-ota';

export interface JobFirmware {
  readonly name: string;
  readonly version: string;
  readonly file: string;
  readonly md5: string;
  readonly size: number;
  readonly chip: string;
  readonly gzip: boolean;
}

export interface JobEvent {
  readonly time: number;
  readonly state: JobState;
  readonly note?: string;
}

export interface Job {
  readonly id: string;
  /** inventory key of the device ("homie/relay-1") */
  readonly deviceKey: string;
  readonly deviceId: string;
  readonly firmware: JobFirmware;
  readonly method: DeliveryMethod;
  readonly state: JobState;
  /** why a job is waiting, in words ("device is asleep; starts when it wakes") */
  readonly waitingFor?: string;
  readonly waitKind?: WaitKind;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** when the firmware was sent (status messages older than this are not ours) */
  readonly sentAt?: number;
  /** when the device accepted it / finished flashing / was seen back */
  readonly acceptedAt?: number;
  readonly flashedAt?: number;
  readonly finishedAt?: number;
  /** 1 for the first attempt; a retry by the user adds one */
  readonly attempt: number;
  readonly progress?: {readonly done: number; readonly total: number; readonly firstAt: number; readonly lastAt: number};
  /** what the device ran when the job was created */
  readonly from: {readonly name?: string; readonly version?: string; readonly checksum?: string};
  readonly error?: string;
  readonly result?: string;
  readonly rolloutId?: string;
  /** ESP32: when to check again for a silent rollback */
  readonly recheckAt?: number;
  /** after the 200: the device was seen disconnected or re-initialising (a real reboot, not retained replay) */
  readonly sawReboot?: boolean;
  /** the device went offline in the middle of the transfer, at this percentage */
  readonly cutAt?: number;
  /** reloaded after a homie-ota restart in the middle of a transfer: still listening for its status */
  readonly resumed?: boolean;
  /** part of a batch: the device must keep its firmware name (no light firmware on a relay) */
  readonly sameName?: boolean;
  /** a failed or cancelled job the user tried again: the id of the new attempt */
  readonly retriedAs?: string;
  readonly timeline: readonly JobEvent[];
}

export const TIMELINE_LIMIT = 40;

/** A copy of `job` in `state`, with a timeline entry. */
export function transition(job: Job, state: JobState, now: number, note?: string, patch: Partial<Job> = {}): Job {
  const timeline = [...job.timeline, {time: now, state, ...(note ? {note} : {})}].slice(-TIMELINE_LIMIT);
  const final = FINAL_STATES.has(state);
  return {
    ...job,
    ...patch,
    state,
    updatedAt: now,
    timeline,
    ...(final ? {finishedAt: now} : {}),
    ...(state === 'failed' ? {error: note ?? patch.error ?? 'failed'} : {}),
    ...(state !== 'waiting' ? {waitingFor: undefined, waitKind: undefined} : {}),
  };
}

/** A note on the job's timeline without changing its state (progress milestones, warnings). */
export function annotate(job: Job, now: number, note: string, patch: Partial<Job> = {}): Job {
  return {...job, ...patch, updatedAt: now, timeline: [...job.timeline, {time: now, state: job.state, note}].slice(-TIMELINE_LIMIT)};
}

export function isFinal(job: Job): boolean {
  return FINAL_STATES.has(job.state);
}

/** Percentage 0–100 of the transfer, when known. */
export function percent(job: Job): number | undefined {
  if (!job.progress || job.progress.total <= 0) return undefined;
  return Math.min(100, Math.floor((job.progress.done / job.progress.total) * 100));
}

/** Seconds left at the rate seen so far, when it can be told. */
export function etaSeconds(job: Job, now?: number): number | undefined {
  // an ESP32 waiting for its rollback re-check: the time until it
  if (job.state === 'verifying' && job.recheckAt !== undefined && now !== undefined) return Math.max(0, (job.recheckAt - now) / 1000);
  // otherwise only a transfer has a rate to go by (a reboot takes what it takes)
  if (job.state !== 'sending' && job.state !== 'flashing') return undefined;
  const p = job.progress;
  if (!p || p.done <= 0 || p.lastAt <= p.firstAt) return undefined;
  const rate = p.done / ((p.lastAt - p.firstAt) / 1000);
  if (!Number.isFinite(rate) || rate <= 0) return undefined;
  return Math.max(0, (p.total - p.done) / rate);
}

/** Why the job cannot be cancelled, in words, or null when it can (it has not reached the device). */
export function cannotCancel(job: Job): string | null {
  switch (job.state) {
    case 'queued':
    case 'waiting':
      return null;
    case 'sending':
    case 'flashing':
      return `${job.id} is ${job.state}: the firmware is on its way to the device and a transfer cannot be stopped; it will be verified`;
    case 'rebooting':
    case 'verifying':
      return `${job.id} is ${job.state}: the device already has the firmware, which cannot be taken back; it will be verified`;
    default:
      return `${job.id} has already ended (${job.state}): nothing to cancel`;
  }
}

/** Why the job itself cannot be tried again (still open, done, retried already), or null. */
export function cannotRetry(job: Job): string | null {
  if (job.state !== 'failed' && job.state !== 'cancelled') {
    return `${job.id} is ${job.state}: only a failed or cancelled job can be retried${isFinal(job) ? '' : ' (this one is still open)'}`;
  }
  return job.retriedAs ? `${job.id} was already retried as ${job.retriedAs}` : null;
}

/** One line for logs and MQTT events: "j-12 relay-1 relay 1.2.0: flashing 45%" */
export function describeJob(job: Job): string {
  const pct = percent(job);
  const extra = job.state === 'failed' ? `: ${job.error}` : job.state === 'waiting' && job.waitingFor ? ` (${job.waitingFor})` : pct !== undefined && !isFinal(job) ? ` ${pct}%` : '';
  return `${job.id} ${job.deviceId} → ${job.firmware.name} ${job.firmware.version}: ${job.state}${extra}`;
}
