import fs from 'node:fs';
import path from 'node:path';
import {z} from 'zod';
import {writeFileAtomic, writeFileAtomicSync} from '../util/atomic.js';
import type {Job} from './job.js';
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

const jobState = z.enum(['queued', 'waiting', 'sending', 'flashing', 'rebooting', 'verifying', 'done', 'failed', 'cancelled', 'skipped']);
const optionalNumber = z.number().finite().optional();
const jobSchema = z.object({
  id: z.string(),
  deviceKey: z.string(),
  deviceId: z.string(),
  firmware: z.object({name: z.string(), version: z.string(), file: z.string(), md5: z.string(), size: z.number(), chip: z.string(), gzip: z.boolean()}),
  method: z.enum(['mqtt-push', 'v1-ota']),
  state: jobState,
  waitingFor: z.string().optional(),
  waitKind: z.enum(['slot', 'canary', 'device', 'paused', 'inventory', 'broker']).optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
  sentAt: optionalNumber,
  acceptedAt: optionalNumber,
  flashedAt: optionalNumber,
  finishedAt: optionalNumber,
  attempt: z.number(),
  progress: z.object({done: z.number(), total: z.number(), firstAt: z.number(), lastAt: z.number()}).optional(),
  from: z.object({name: z.string().optional(), version: z.string().optional(), checksum: z.string().optional()}),
  error: z.string().optional(),
  result: z.string().optional(),
  rolloutId: z.string().optional(),
  recheckAt: optionalNumber,
  sawReboot: z.boolean().optional(),
  cutAt: z.number().optional(),
  resumed: z.boolean().optional(),
  sameName: z.boolean().optional(),
  retriedAs: z.string().optional(),
  timeline: z.array(z.object({time: z.number(), state: jobState, note: z.string().optional()})),
});
const rolloutSchema = z.object({
  id: z.string(),
  firmware: z.object({name: z.string(), version: z.string()}),
  scope: z.string(),
  state: z.enum(['running', 'paused', 'stopped', 'done', 'cancelled']),
  canaryJobId: z.string().optional(),
  maxFailures: z.number(),
  createdAt: z.number(),
  updatedAt: z.number(),
  endedAt: optionalNumber,
  reason: z.string().optional(),
  counts: z.object({devices: z.number(), done: z.number(), skipped: z.number(), cancelled: z.number(), failed: z.number()}).optional(),
});
const historySchema = z.object({
  jobId: z.string(),
  time: z.number(),
  from: z.string(),
  to: z.string(),
  result: z.enum(['done', 'failed', 'cancelled', 'skipped']),
  durationMs: optionalNumber,
  error: z.string().optional(),
});
const fileSchema = z.object({
  version: z.literal(1),
  nextId: z.number(),
  jobs: z.array(jobSchema),
  rollouts: z.array(rolloutSchema),
  history: z.record(z.string(), z.array(historySchema)),
});

export const EMPTY_JOBS_FILE: JobsFile = {nextId: 1, jobs: [], rollouts: [], history: {}};

/**
 * Load jobs.json. A missing file is an empty queue; a file that cannot be read or does not match is
 * moved aside (jobs.json.bad-<time>) and reported, so nothing is silently lost and homie-ota starts.
 */
export function loadJobsFile(file: string, now: number): {data: JobsFile; problem?: string} {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {data: EMPTY_JOBS_FILE};
    return {data: EMPTY_JOBS_FILE, problem: `cannot read ${file}: ${(error as Error).message}`};
  }
  const parsed = (() => {
    try {
      return fileSchema.safeParse(JSON.parse(text));
    } catch (error) {
      return {success: false as const, error: error as Error};
    }
  })();
  if (parsed.success) return {data: parsed.data as JobsFile};
  const aside = `${file}.bad-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    // keep going with an empty queue; the original file stays where it was
  }
  return {data: EMPTY_JOBS_FILE, problem: `${path.basename(file)} could not be loaded (${parsed.error.message.slice(0, 200)}); it was kept as ${path.basename(aside)} and the queue starts empty`};
}

export function serialiseJobs(data: JobsFile): string {
  return JSON.stringify({version: 1, ...data});
}

export async function saveJobsFile(file: string, data: JobsFile): Promise<void> {
  await writeFileAtomic(file, serialiseJobs(data), 0o640);
}

export function saveJobsFileSync(file: string, data: JobsFile): void {
  writeFileAtomicSync(file, serialiseJobs(data), 0o640);
}
