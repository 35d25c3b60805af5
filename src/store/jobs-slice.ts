import type {Engine} from '../engine/engine.js';
import {etaSeconds, isFinal, type Job} from '../engine/ota/job.js';
import type {Rollout} from '../engine/ota/types.js';

export interface JobTotals {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly active: number;
  readonly waiting: number;
  readonly cancelled: number;
  readonly skipped: number;
}

/** What the Queue view and the tab label need. */
export interface JobsSlice {
  readonly revision: number;
  /** open jobs oldest first, then finished jobs newest first */
  readonly jobs: readonly Job[];
  readonly rollouts: readonly Rollout[];
  readonly totals: JobTotals;
  /** seconds until the open jobs are through, when it can be estimated */
  readonly etaSeconds?: number;
  readonly concurrency: number;
}

const EMPTY: JobsSlice = {revision: -1, jobs: [], rollouts: [], totals: {total: 0, done: 0, failed: 0, active: 0, waiting: 0, cancelled: 0, skipped: 0}, concurrency: 1};

export function buildJobsSlice(engine: Engine, previous: JobsSlice | undefined, now: number): JobsSlice {
  const ota = engine.ota;
  if (!ota) return previous ?? EMPTY;
  // progress changes keep the revision moving; ETA depends on time, so rebuild at least once a second
  if (previous && previous.revision === ota.revision && !previous.jobs.some(j => !isFinal(j) && j.progress)) return previous;
  const all = ota.list();
  const open = all.filter(j => !isFinal(j));
  const finished = all.filter(isFinal).sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
  const totals: JobTotals = {
    total: all.length,
    done: all.filter(j => j.state === 'done').length,
    failed: all.filter(j => j.state === 'failed').length,
    active: open.filter(j => j.state !== 'queued' && j.state !== 'waiting').length,
    waiting: open.filter(j => j.state === 'queued' || j.state === 'waiting').length,
    cancelled: all.filter(j => j.state === 'cancelled').length,
    skipped: all.filter(j => j.state === 'skipped').length,
  };
  return {revision: ota.revision, jobs: [...open, ...finished], rollouts: ota.rollouts(), totals, etaSeconds: estimate(open, finished, engine.config.concurrency, now), concurrency: engine.config.concurrency};
}

/**
 * ETA of the whole queue: the slowest running transfer, plus the waiting jobs in rounds of
 * `concurrency`, each round as long as the average finished transfer. Unknown until one transfer
 * has finished or reported progress.
 */
function estimate(open: readonly Job[], finished: readonly Job[], concurrency: number, now: number): number | undefined {
  if (open.length === 0) return undefined;
  const durations = finished.filter(j => j.state === 'done' && j.sentAt && j.finishedAt).map(j => (j.finishedAt! - j.sentAt!) / 1000);
  const average = durations.length > 0 ? durations.reduce((a, b) => a + b, 0) / durations.length : undefined;
  const running = open.filter(j => j.state !== 'queued' && j.state !== 'waiting');
  const runningLeft = running.map(j => etaSeconds(j, now) ?? (average !== undefined && j.sentAt ? Math.max(0, average - (now - j.sentAt) / 1000) : undefined));
  if (runningLeft.some(x => x === undefined) && average === undefined) return undefined;
  const waiting = open.length - running.length;
  const current = Math.max(0, ...runningLeft.map(x => x ?? 0));
  if (waiting > 0 && average === undefined) return undefined;
  return current + Math.ceil(waiting / Math.max(1, concurrency)) * (average ?? 0);
}
