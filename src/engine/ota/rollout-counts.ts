import {isFinal, TRANSFER_STATES, type Job} from './job.js';
import type {Rollout, RolloutCounts} from './types.js';

/**
 * What a rollout's devices came to, counted the same way everywhere (the Queue view, GET /api/jobs,
 * the MQTT rollout events, the log): each device once, by its newest attempt.
 *
 * The finished outcomes are kept on the rollout itself (jobs.json), because the finished jobs do not
 * stay: the list keeps the newest 500. The open ones are counted from the open jobs, which always stay.
 */
export interface RolloutOpen {
  /** holding a transfer slot (sending, flashing): what OTA_CONCURRENCY limits */
  readonly active: number;
  readonly rebooting: number;
  readonly verifying: number;
  /** queued or waiting (for the device, a slot, the canary, a paused rollout) */
  readonly waiting: number;
}

export type RolloutTally = RolloutCounts & RolloutOpen;

export const NO_COUNTS: RolloutCounts = {devices: 0, done: 0, skipped: 0, cancelled: 0, failed: 0};
const NOTHING_OPEN: RolloutOpen = {active: 0, rebooting: 0, verifying: 0, waiting: 0};

export type FinalOutcome = 'done' | 'skipped' | 'cancelled' | 'failed';

/** `counts` with one more (delta 1) or one fewer (delta -1, a retry reopens the device) of `outcome`. */
export function countOutcome(counts: RolloutCounts, outcome: FinalOutcome, delta: 1 | -1): RolloutCounts {
  return {...counts, [outcome]: Math.max(0, counts[outcome] + delta)};
}

/** Devices of the rollout that have no outcome yet. */
export function openCount(counts: RolloutCounts): number {
  return Math.max(0, counts.devices - counts.done - counts.skipped - counts.cancelled - counts.failed);
}

/** One pass over the open jobs: what each rollout's open devices are doing. */
export function openByRollout(jobs: Iterable<Job>): Map<string, RolloutOpen> {
  const result = new Map<string, RolloutOpen>();
  for (const job of jobs) {
    if (!job.rolloutId || isFinal(job)) continue;
    const open = {...(result.get(job.rolloutId) ?? NOTHING_OPEN)};
    if (TRANSFER_STATES.has(job.state)) open.active++;
    else if (job.state === 'rebooting') open.rebooting++;
    else if (job.state === 'verifying') open.verifying++;
    else open.waiting++;
    result.set(job.rolloutId, open);
  }
  return result;
}

export function tallyOf(rollout: Rollout, open: RolloutOpen | undefined): RolloutTally {
  return {...rollout.counts, ...(open ?? NOTHING_OPEN)};
}

/**
 * Counts from the jobs that are still listed: for rollouts saved before homie-ota kept counts, and a
 * check in tests. Retried attempts (a newer job for the same device) are not counted twice.
 */
export function countFromJobs(rolloutId: string, jobs: Iterable<Job>): RolloutCounts {
  const newest = new Map<string, Job>();
  for (const job of jobs) {
    if (job.rolloutId !== rolloutId) continue;
    const seen = newest.get(job.deviceKey);
    if (!seen || seen.createdAt <= job.createdAt) newest.set(job.deviceKey, job);
  }
  let counts: RolloutCounts = {...NO_COUNTS, devices: newest.size};
  for (const job of newest.values()) if (isFinal(job)) counts = countOutcome(counts, job.state as FinalOutcome, 1);
  return counts;
}

const LABELS: ReadonlyArray<[keyof RolloutTally, string]> = [
  ['done', 'done'],
  ['skipped', 'skipped (up to date)'],
  ['cancelled', 'cancelled'],
  ['failed', 'failed'],
  ['active', 'active'],
  ['rebooting', 'rebooting'],
  ['verifying', 'verifying'],
  ['waiting', 'waiting'],
];

/** "4 devices: 1 done · 2 skipped (up to date) · 1 cancelled": every outcome that is not zero, named. */
export function describeTally(tally: RolloutTally): string {
  const parts = LABELS.filter(([key]) => tally[key] > 0).map(([key, label]) => `${tally[key]} ${label}`);
  return `${tally.devices} device${tally.devices === 1 ? '' : 's'}: ${parts.join(' · ') || 'nothing yet'}`;
}

/** The JSON form of a rollout (GET /api/jobs, GET /api/rollouts, the MQTT rollout events). */
export function rolloutJson(rollout: Rollout, open: RolloutOpen | undefined): Record<string, unknown> {
  return {
    id: rollout.id,
    firmware: rollout.firmware,
    scope: rollout.scope,
    state: rollout.state,
    reason: rollout.reason ?? null,
    canaryJobId: rollout.canaryJobId ?? null,
    maxFailures: rollout.maxFailures,
    counts: tallyOf(rollout, open),
    summary: describeTally(tallyOf(rollout, open)),
    createdAt: new Date(rollout.createdAt).toISOString(),
    updatedAt: new Date(rollout.updatedAt).toISOString(),
    endedAt: rollout.endedAt ? new Date(rollout.endedAt).toISOString() : null,
    concurrency: rollout.concurrency ?? null,
    window: rollout.window ?? null,
    automatic: Boolean(rollout.auto),
    trigger: rollout.auto ?? null,
  };
}

export function isEnded(rollout: Rollout): boolean {
  return rollout.state !== 'running' && rollout.state !== 'paused';
}
