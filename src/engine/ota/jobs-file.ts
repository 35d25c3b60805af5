import fs from 'node:fs';
import path from 'node:path';
import {MAX_DEVICES} from '../inventory/limits.js';
import {fileStamp, keepBackupSync, writeFileAtomic, writeFileAtomicSync} from '../util/atomic.js';
import {NotRegularFileError, readRegularFileSync, refuseStateFile} from '../util/safe-file.js';
import {groupDigits} from '../util/text.js';
import {bool, checkShape, list, num, object, oneOf, optional, record, str} from '../util/shape.js';
import {StartupError} from '../util/startup-error.js';
import {FINAL_STATES, TIMELINE_LIMIT, type Job} from './job.js';
import type {HistoryEntry, Rollout, RolloutCounts} from './types.js';

/** A rollout as saved: files written before homie-ota kept counts have none (they are counted on load). */
export type StoredRollout = Omit<Rollout, 'counts'> & {readonly counts?: RolloutCounts};

/** What jobs.json holds: jobs (active and the newest finished), rollouts, per-device OTA history. */
export interface JobsFile {
  readonly nextId: number;
  readonly jobs: readonly Job[];
  readonly rollouts: readonly StoredRollout[];
  readonly history: Readonly<Record<string, readonly HistoryEntry[]>>;
}

const jobState = oneOf(['queued', 'waiting', 'sending', 'flashing', 'rebooting', 'verifying', 'done', 'failed', 'cancelled', 'skipped']);
const aText = str();
const aNumber = num();
const optionalText = optional(aText);
const optionalNumber = optional(aNumber);
const optionalBool = optional(bool);
const jobShape = object({
  id: aText,
  deviceKey: aText,
  deviceId: aText,
  firmware: object({name: aText, version: aText, file: aText, md5: aText, size: aNumber, chip: aText, gzip: bool}),
  method: oneOf(['mqtt-push', 'v1-ota']),
  state: jobState,
  waitingFor: optionalText,
  waitKind: optional(oneOf(['slot', 'canary', 'device', 'paused', 'inventory', 'broker'])),
  createdAt: aNumber,
  updatedAt: aNumber,
  sentAt: optionalNumber,
  acceptedAt: optionalNumber,
  flashedAt: optionalNumber,
  finishedAt: optionalNumber,
  attempt: aNumber,
  progress: optional(object({done: aNumber, total: aNumber, firstAt: aNumber, lastAt: aNumber})),
  from: object({name: optionalText, version: optionalText, checksum: optionalText}),
  error: optionalText,
  result: optionalText,
  rolloutId: optionalText,
  recheckAt: optionalNumber,
  sawReboot: optionalBool,
  cutAt: optionalNumber,
  resumed: optionalBool,
  sameName: optionalBool,
  retriedAs: optionalText,
  timeline: list(object({time: aNumber, state: jobState, note: optionalText})),
});
const rolloutShape = object({
  id: aText,
  firmware: object({name: aText, version: aText}),
  scope: aText,
  state: oneOf(['running', 'paused', 'stopped', 'done', 'cancelled']),
  canaryJobId: optionalText,
  maxFailures: aNumber,
  createdAt: aNumber,
  updatedAt: aNumber,
  endedAt: optionalNumber,
  reason: optionalText,
  counts: optional(object({devices: aNumber, done: aNumber, skipped: aNumber, cancelled: aNumber, failed: aNumber})),
  concurrency: optional(num({whole: true, min: 1})),
  window: optional(object({start: aText, end: aText})),
  auto: optional(object({policy: aText, file: aText, via: oneOf(['drop', 'upload', 'watch', 'start']), source: aText})),
});
const historyShape = object({
  jobId: aText,
  time: aNumber,
  from: aText,
  to: aText,
  result: oneOf(['done', 'failed', 'cancelled', 'skipped']),
  durationMs: optionalNumber,
  error: optionalText,
});
const fileShape = object({
  version: oneOf([1]),
  nextId: aNumber,
  jobs: list(jobShape),
  rollouts: list(rolloutShape),
  history: record(list(historyShape)),
});

export const EMPTY_JOBS_FILE: JobsFile = {nextId: 1, jobs: [], rollouts: [], history: {}};

export interface LoadedJobs {
  readonly data: JobsFile;
  /** the file could not be used at all (it was moved aside) */
  readonly problem?: string;
  /** the file was over a cap and trimmed: what was left out, and where the original was kept */
  readonly trimmed?: string;
}

/**
 * Load jobs.json. A missing file is an empty queue; a file that cannot be read or does not match is
 * moved aside (jobs.json.bad-<time>) and reported, so nothing is silently lost and homie-ota starts.
 * A file over the caps (capJobs) is trimmed, and kept as jobs.json.bak-<time> before anything is
 * written over it. Anything at that path that is not a regular file (a FIFO, a folder, a link) stops
 * the start: it is neither read (a FIFO would block) nor replaced.
 */
export function loadJobsFile(file: string, now: number, options: {readonly?: boolean} = {}): LoadedJobs {
  let text: string;
  try {
    text = readRegularFileSync(file).toString('utf8');
  } catch (error) {
    if (error instanceof NotRegularFileError) throw refuseStateFile(error, 'its OTA queue');
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {data: EMPTY_JOBS_FILE};
    return putAside(file, now, `cannot be read: ${(error as Error).message}`, options.readonly);
  }
  const parsed = (() => {
    try {
      return checkShape(fileShape, JSON.parse(text));
    } catch (error) {
      return {ok: false as const, problem: (error as Error).message};
    }
  })();
  if (!parsed.ok) return putAside(file, now, `could not be loaded (${parsed.problem.slice(0, 200)})`, options.readonly);
  const capped = capJobs(parsed.value as unknown as JobsFile);
  if (!capped.trimmed) return {data: capped.data};
  let kept: string;
  if (options.readonly) kept = 'the file is left as it is (read-only mode)';
  else {
    try {
      kept = `the file as it was is kept as ${path.basename(keepBackupSync(file, now))}`;
    } catch (error) {
      kept = `the file as it was could not be kept (${(error as Error).message}): copy it now if you need what was trimmed`;
    }
  }
  return {data: capped.data, trimmed: `${path.basename(file)}: ${capped.trimmed}; ${kept}`};
}

/**
 * A jobs.json that cannot be used is moved aside (jobs.json.bad-<time>), never written over: the queue
 * starts empty. When it cannot be moved either, the start stops (exit 2): the first save would
 * replace it. In read-only mode it is left as it is (nothing is written then).
 */
function putAside(file: string, now: number, why: string, readonly = false): LoadedJobs {
  const name = path.basename(file);
  if (readonly) return {data: EMPTY_JOBS_FILE, problem: `${name} ${why}; it is left as it is (read-only mode) and the queue shows empty`};
  const aside = `${file}.bad-${fileStamp(now)}`;
  try {
    fs.renameSync(file, aside);
  } catch (error) {
    throw new StartupError(`${file} ${why}, and it cannot be moved aside (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); homie-ota would write over it: fix its permissions or move it away, then start homie-ota again`);
  }
  return {data: EMPTY_JOBS_FILE, problem: `${name} ${why}; it was kept as ${path.basename(aside)} and the queue starts empty`};
}

/** Open jobs kept: one per device at most, and no more devices than the inventory holds. */
export const MAX_OPEN_JOBS = MAX_DEVICES;
/** Finished jobs kept in the list (the per-device history keeps more). */
export const FINISHED_JOBS_KEPT = 500;
/** Finished rollouts kept (running and paused ones are always kept). */
export const FINISHED_ROLLOUTS_KEPT = 100;
/** OTA history entries kept per device, and devices with a history. */
export const HISTORY_PER_DEVICE = 20;
const HISTORY_DEVICES = MAX_DEVICES;

/** How far along an open job is: a job in the middle of a transfer must never be dropped. */
const PRIORITY: Partial<Record<Job['state'], number>> = {flashing: 4, sending: 4, rebooting: 3, verifying: 3, waiting: 1, queued: 1};

/**
 * Bring a loaded file within what homie-ota itself would ever keep: one open job per device (the one
 * furthest along), at most MAX_OPEN_JOBS of them (transfers in progress first, then the newest), the
 * newest FINISHED_JOBS_KEPT finished jobs, the rollouts those jobs belong to plus the newest finished
 * ones, HISTORY_PER_DEVICE history entries per device and TIMELINE_LIMIT timeline entries per job.
 * `trimmed` says in words what was left out, or is undefined when nothing was.
 */
export function capJobs(data: JobsFile): {data: JobsFile; trimmed?: string} {
  const open = new Map<string, Job>();
  let duplicates = 0;
  const finished: Job[] = [];
  for (const job of data.jobs) {
    if (FINAL_STATES.has(job.state)) {
      finished.push(job);
      continue;
    }
    const other = open.get(job.deviceKey);
    if (other) {
      duplicates++;
      const better = (PRIORITY[job.state] ?? 0) - (PRIORITY[other.state] ?? 0) || job.createdAt - other.createdAt;
      if (better <= 0) continue;
    }
    open.set(job.deviceKey, job);
  }
  let openJobs = [...open.values()];
  const overOpen = Math.max(0, openJobs.length - MAX_OPEN_JOBS);
  if (overOpen > 0) {
    const keep = new Set([...openJobs].sort((a, b) => (PRIORITY[b.state] ?? 0) - (PRIORITY[a.state] ?? 0) || b.createdAt - a.createdAt).slice(0, MAX_OPEN_JOBS));
    openJobs = openJobs.filter(job => keep.has(job));
  }
  const keptOpen = new Set(openJobs);
  const keptFinished = new Set(finished.slice(-FINISHED_JOBS_KEPT));
  const trimmedFinished = finished.length - keptFinished.size;
  const jobs = data.jobs.filter(job => keptOpen.has(job) || keptFinished.has(job)).map(job => (job.timeline.length > TIMELINE_LIMIT ? {...job, timeline: job.timeline.slice(-TIMELINE_LIMIT)} : job));

  const usedRollouts = new Set(jobs.map(job => job.rolloutId).filter(Boolean));
  const finishedRollouts = data.rollouts.filter(r => (r.state !== 'running' && r.state !== 'paused') && !usedRollouts.has(r.id));
  const droppedRollouts = new Set(finishedRollouts.slice(0, Math.max(0, finishedRollouts.length - FINISHED_ROLLOUTS_KEPT)));
  const rollouts = data.rollouts.filter(r => !droppedRollouts.has(r));

  const historyEntries = Object.entries(data.history);
  let trimmedHistory = 0;
  const newest = (entries: readonly HistoryEntry[]) => entries.reduce((t, e) => Math.max(t, e.time), 0);
  const historyKept = historyEntries.length > HISTORY_DEVICES
    ? historyEntries.sort(([, a], [, b]) => newest(b) - newest(a)).slice(0, HISTORY_DEVICES)
    : historyEntries;
  trimmedHistory += historyEntries.length - historyKept.length;
  const history: Record<string, readonly HistoryEntry[]> = {};
  let longHistories = 0;
  for (const [key, entries] of historyKept) {
    if (entries.length > HISTORY_PER_DEVICE) longHistories++;
    history[key] = entries.slice(0, HISTORY_PER_DEVICE);
  }

  const parts: string[] = [];
  if (trimmedFinished > 0) parts.push(`${count(trimmedFinished, 'oldest finished job')} left out (the newest ${FINISHED_JOBS_KEPT} are kept; each device's history keeps its results)`);
  if (duplicates > 0) parts.push(`${count(duplicates, 'open job')} for a device that already had one left out (the one furthest along is kept)`);
  if (overOpen > 0) parts.push(`${count(overOpen, 'open job')} over the limit of ${groupDigits(MAX_OPEN_JOBS)} left out (transfers in progress first, then the newest, are kept)`);
  if (droppedRollouts.size > 0) parts.push(`${count(droppedRollouts.size, 'old finished rollout')} left out`);
  if (trimmedHistory > 0) parts.push(`the OTA history of ${count(trimmedHistory, 'device')} left out (over ${groupDigits(HISTORY_DEVICES)} devices)`);
  if (longHistories > 0) parts.push(`${count(longHistories, 'device history', 'device histories')} cut to the newest ${HISTORY_PER_DEVICE} entries`);
  const total = data.jobs.length;
  const summary = `${groupDigits(total)} jobs (${groupDigits(total - finished.length)} open, ${groupDigits(finished.length)} finished), more than homie-ota keeps`;
  return {data: {...data, jobs, rollouts, history}, ...(parts.length > 0 ? {trimmed: `${summary}: ${parts.join('; ')}`} : {})};
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${groupDigits(n)} ${n === 1 ? one : many}`;
}

export function serialiseJobs(data: JobsFile): string {
  return JSON.stringify({version: 1, ...data});
}

const CHUNK = 500;

/**
 * The same text, built a few hundred jobs at a time with a pause between, so that saving a large
 * queue never holds the event loop (the HTTP server, the OTA endpoint) for long.
 */
export async function serialiseJobsInSlices(data: JobsFile): Promise<string> {
  const pause = () => new Promise(resolve => setImmediate(resolve));
  const jobs: string[] = [];
  for (let i = 0; i < data.jobs.length; i += CHUNK) {
    if (i > 0) await pause();
    jobs.push(data.jobs.slice(i, i + CHUNK).map(job => JSON.stringify(job)).join(','));
  }
  const history: string[] = [];
  const entries = Object.entries(data.history);
  for (let i = 0; i < entries.length; i += CHUNK * 4) {
    await pause();
    history.push(entries.slice(i, i + CHUNK * 4).map(([key, list]) => `${JSON.stringify(key)}:${JSON.stringify(list)}`).join(','));
  }
  return `{"version":1,"nextId":${JSON.stringify(data.nextId)},"jobs":[${jobs.join(',')}],"rollouts":${JSON.stringify(data.rollouts)},"history":{${history.join(',')}}}`;
}

export async function saveJobsFile(file: string, data: JobsFile): Promise<void> {
  await writeFileAtomic(file, await serialiseJobsInSlices(data));
}

export function saveJobsFileSync(file: string, data: JobsFile): void {
  writeFileAtomicSync(file, serialiseJobs(data));
}
