import {isFinal, TRANSFER_STATES, type Job} from '../engine/ota/job.js';
import {isEnded, openByRollout, tallyOf, type RolloutTally} from '../engine/ota/rollout-counts.js';
import type {Rollout} from '../engine/ota/types.js';
import {queueEta} from './queue-eta.js';

/** The jobs in the list, by state; the open ones add up to `open` (the Queue tab's number). */
export interface JobTotals {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly skipped: number;
  /** holding a transfer slot (sending, flashing): what OTA_CONCURRENCY limits */
  readonly active: number;
  readonly rebooting: number;
  readonly verifying: number;
  /** queued or waiting */
  readonly waiting: number;
  readonly open: number;
}

export interface RolloutRow {
  readonly rollout: Rollout;
  readonly tally: RolloutTally;
}

/** What the Queue view and the tab label need. */
export interface JobsSlice {
  readonly revision: number;
  /** open jobs oldest first, then finished jobs newest first */
  readonly jobs: readonly Job[];
  /** running and paused rollouts first (oldest first), then ended ones, newest first, until dismissed */
  readonly rollouts: readonly RolloutRow[];
  readonly totals: JobTotals;
  /** seconds until the open jobs are through; undefined when nothing predicts it */
  readonly etaSeconds?: number;
  readonly concurrency: number;
}

const NO_TOTALS: JobTotals = {total: 0, done: 0, failed: 0, cancelled: 0, skipped: 0, active: 0, rebooting: 0, verifying: 0, waiting: 0, open: 0};
const EMPTY: JobsSlice = {revision: -1, jobs: [], rollouts: [], totals: NO_TOTALS, concurrency: 1};

/** What the slice reads: the OTA queue (absent while the engine has none) and OTA_CONCURRENCY. */
export interface JobsSource {
  readonly ota?: {readonly revision: number; list(): readonly Job[]; rollouts(): readonly Rollout[]};
  readonly config: {readonly concurrency: number};
}

export function buildJobsSlice(engine: JobsSource, previous: JobsSlice | undefined, now: number): JobsSlice {
  const ota = engine.ota;
  if (!ota) return previous ?? EMPTY;
  const same = previous !== undefined && previous.revision === ota.revision;
  // with open jobs the ETA moves with the clock even when no job changed
  if (same && previous.totals.open === 0) return previous;
  const lists = same ? previous : listJobs(engine);
  const open = lists.jobs.slice(0, lists.totals.open);
  const finished = lists.jobs.slice(lists.totals.open);
  return {...lists, etaSeconds: queueEta(open, finished, engine.config.concurrency, now), concurrency: engine.config.concurrency};
}

function listJobs(engine: JobsSource): JobsSlice {
  const ota = engine.ota!;
  const all = ota.list();
  const open = all.filter(j => !isFinal(j));
  const finished = all.filter(isFinal).sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
  const counts = {...NO_TOTALS, total: all.length};
  for (const job of all) {
    if (TRANSFER_STATES.has(job.state)) counts.active++;
    else if (job.state === 'queued' || job.state === 'waiting') counts.waiting++;
    else counts[job.state as 'done' | 'failed' | 'cancelled' | 'skipped' | 'rebooting' | 'verifying']++;
  }
  counts.open = open.length;
  const byRollout = openByRollout(open);
  const rows = ota.rollouts().map(rollout => ({rollout, tally: tallyOf(rollout, byRollout.get(rollout.id))}));
  const running = rows.filter(r => !isEnded(r.rollout)).sort((a, b) => a.rollout.createdAt - b.rollout.createdAt);
  const ended = rows.filter(r => isEnded(r.rollout)).sort((a, b) => (b.rollout.endedAt ?? b.rollout.updatedAt) - (a.rollout.endedAt ?? a.rollout.updatedAt));
  return {revision: ota.revision, jobs: [...open, ...finished], rollouts: [...running, ...ended], totals: counts, concurrency: engine.config.concurrency};
}
