import {TRANSFER_STATES, type Job, type WaitKind} from './job.js';
import {countFromJobs, countOutcome, describeTally, isEnded, NO_COUNTS, openByRollout, openCount, rolloutJson, tallyOf, type FinalOutcome} from './rollout-counts.js';
import type {StoredRollout} from './jobs-file.js';
import type {Rollout} from './types.js';
import {inWindow, windowWait} from './window.js';

/** What the rollouts need from the OTA queue. */
export interface RolloutHost {
  now(): number;
  jobs(): Iterable<Job>;
  job(id: string): Job | undefined;
  /** finish a job that has not started as cancelled (counted back through `tally`) */
  cancelJob(job: Job, note: string): void;
  notice(level: 'info' | 'warn' | 'error', text: string): void;
  /** something changed: save, redraw */
  changed(): void;
  /** publish a rollout event (not retained) */
  publish(rolloutId: string, payload: string): void;
}

/** Ended rollouts kept until dismissed; past this, the oldest ended ones go (an API loop cannot grow jobs.json without end). */
export const ENDED_ROLLOUTS_KEPT = 100;

/**
 * The rollouts: started by `create`, counted as their jobs end, stopped after too many failures, and
 * kept (running, paused, stopped with the reason, finished, cancelled) until the user dismisses them.
 * Every change is published on <MQTT_EVENTS_TOPIC>/rollouts/<id> with the same counts the API gives,
 * at most once a second per rollout (`flush`).
 */
export class RolloutBook {
  #rollouts = new Map<string, Rollout>();
  readonly #dirty = new Set<string>();
  #transferCounts: Map<string, number> | null = null;

  constructor(private readonly host: RolloutHost) {}

  list(): readonly Rollout[] {
    return [...this.#rollouts.values()];
  }

  get(id: string): Rollout | undefined {
    return this.#rollouts.get(id);
  }

  /**
   * Rollouts from jobs.json. Ones saved before counts were kept are counted from their listed jobs,
   * and lose the "3/4 done, 0 failed" a finished one carried as its reason (the counts say it now).
   */
  restore(rollouts: readonly StoredRollout[], jobs: readonly Job[]): void {
    this.#rollouts = new Map(rollouts.map(r => [r.id, r.counts ? {...r, counts: r.counts} : {...r, counts: countFromJobs(r.id, jobs), reason: r.state === 'done' ? undefined : r.reason}]));
  }

  add(rollout: Omit<Rollout, 'counts'>, jobs: number, skipped: number): Rollout {
    const made: Rollout = {...rollout, counts: {...NO_COUNTS, devices: jobs + skipped, skipped}};
    this.#rollouts.set(made.id, made);
    this.#trim();
    this.#touch(made.id);
    return made;
  }

  /** A job of a rollout reached an outcome (delta 1), or a failed or cancelled one is tried again (-1). */
  tally(job: Job, outcome: FinalOutcome, delta: 1 | -1): void {
    const rollout = job.rolloutId ? this.#rollouts.get(job.rolloutId) : undefined;
    if (!rollout) return;
    this.#rollouts.set(rollout.id, {...rollout, counts: countOutcome(rollout.counts, outcome, delta), updatedAt: this.host.now()});
    this.#touch(rollout.id);
  }

  /** A job of the rollout changed state (its open counts moved): publish with the next flush. */
  touched(job: Job): void {
    this.#transferCounts = null;
    if (job.rolloutId && this.#rollouts.has(job.rolloutId)) this.#dirty.add(job.rolloutId);
  }

  setState(id: string, state: 'paused' | 'running' | 'cancelled'): {ok: boolean; message: string} {
    const rollout = this.#rollouts.get(id);
    if (!rollout) return {ok: false, message: `no rollout ${id}`};
    if (isEnded(rollout)) return {ok: false, message: `rollout ${id} has ${endedWords(rollout)}: nothing to ${state === 'running' ? 'resume' : state === 'paused' ? 'pause' : 'cancel'}`};
    if (rollout.state === state) return {ok: false, message: `rollout ${id} is already ${state}`};
    const now = this.host.now();
    this.#rollouts.set(id, {...rollout, state, updatedAt: now, ...(state === 'cancelled' ? {reason: 'cancelled by the user', endedAt: now} : {})});
    if (state === 'cancelled') {
      for (const job of [...this.host.jobs()]) {
        if (job.rolloutId === id && (job.state === 'queued' || job.state === 'waiting')) this.host.cancelJob(job, `rollout ${id} cancelled`);
      }
    }
    const word = state === 'running' ? 'resumed' : state;
    const after = this.#rollouts.get(id)!;
    this.host.notice('info', `rollout ${id} ${word}${state === 'cancelled' ? `: ${this.summary(after)}` : ''}`);
    this.#touch(id);
    return {ok: true, message: `rollout ${id} ${word}`};
  }

  /** What holds a job of a rollout back: the rollout is paused, or its canary has not succeeded yet; or null. */
  gate(job: Job): {reason: string; kind: WaitKind} | null {
    if (!job.rolloutId) return null;
    const rollout = this.#rollouts.get(job.rolloutId);
    // an ended rollout holds nothing back: a job of it retried by the user just runs
    if (!rollout || isEnded(rollout)) return null;
    if (rollout.state === 'paused') return {reason: `rollout ${rollout.id} is paused`, kind: 'paused'};
    const now = this.host.now();
    if (rollout.window && !inWindow(rollout.window, now)) return {reason: `rollout ${rollout.id} is ${windowWait(rollout.window, now)}`, kind: 'paused'};
    if (rollout.canaryJobId && job.id !== rollout.canaryJobId) {
      const canary = this.host.job(rollout.canaryJobId);
      if (canary && canary.state !== 'done' && canary.state !== 'skipped') return {reason: `waiting for the canary ${canary.deviceId} to succeed`, kind: 'canary'};
    }
    if (rollout.concurrency !== undefined && this.#transfers(rollout.id) >= rollout.concurrency) {
      return {reason: `waiting for a transfer slot of rollout ${rollout.id} (${rollout.concurrency} at a time)`, kind: 'slot'};
    }
    return null;
  }

  /** Why the rollout cannot be dismissed yet, or null. */
  dismissRefusal(id: string): string | null {
    const rollout = this.#rollouts.get(id);
    if (!rollout) return `no rollout ${id}`;
    if (!isEnded(rollout)) return `rollout ${id} is ${rollout.state}: only a rollout that has ended can be dismissed (cancel it first, or wait)`;
    return null;
  }

  /** Remove an ended rollout from the list (its jobs and the devices' histories stay). */
  dismiss(id: string): {ok: boolean; message: string} {
    const refusal = this.dismissRefusal(id);
    if (refusal) return {ok: false, message: refusal};
    this.#rollouts.delete(id);
    this.#dirty.delete(id);
    this.host.publish(id, JSON.stringify({id, state: 'dismissed', time: new Date(this.host.now()).toISOString()}));
    this.host.changed();
    return {ok: true, message: `rollout ${id} dismissed; its jobs stay in the list`};
  }

  /** Stop rollouts that reached their failure limit (or whose canary failed); finish the ones with nothing open. */
  check(now: number): void {
    for (const rollout of this.#rollouts.values()) {
      if (isEnded(rollout)) continue;
      const {failed} = rollout.counts;
      const canary = rollout.canaryJobId ? this.host.job(rollout.canaryJobId) : undefined;
      let stop: string | null = null;
      if (canary && canary.state === 'failed') stop = `the canary ${canary.deviceId} failed: ${canary.error}`;
      else if (failed >= rollout.maxFailures) stop = `${failed} failure${failed === 1 ? '' : 's'} reached the limit of ${rollout.maxFailures}`;
      // with nothing left to stop, it finished (its failures are in the counts)
      if (stop && openCount(rollout.counts) > 0) {
        this.#rollouts.set(rollout.id, {...rollout, state: 'stopped', reason: stop, updatedAt: now, endedAt: now});
        for (const job of [...this.host.jobs()]) {
          if (job.rolloutId === rollout.id && (job.state === 'queued' || job.state === 'waiting')) this.host.cancelJob(job, `rollout ${rollout.id} stopped: ${stop}`);
        }
        const what = rollout.auto ? `automatic rollout ${rollout.id} of ${rollout.firmware.name} ${rollout.firmware.version} (from ${rollout.auto.file})` : `rollout ${rollout.id}`;
        this.host.notice('error', `${what} stopped: ${stop}; ${this.summary(this.#rollouts.get(rollout.id)!)}`);
        this.#touch(rollout.id);
      } else if (openCount(rollout.counts) === 0) {
        const ended: Rollout = {...rollout, state: 'done', updatedAt: now, endedAt: now};
        this.#rollouts.set(rollout.id, ended);
        const {done, devices} = ended.counts;
        this.host.notice(done + ended.counts.skipped === devices ? 'info' : 'warn', `rollout ${rollout.id} finished: ${this.summary(ended)}`);
        this.#touch(rollout.id);
      }
    }
  }

  /** "4 devices: 1 done · 2 skipped (up to date) · 1 cancelled", open jobs included. */
  summary(rollout: Rollout): string {
    return describeTally(tallyOf(rollout, openByRollout(this.host.jobs()).get(rollout.id)));
  }

  /** Publish the rollouts that changed since the last flush (called once a second and on stop). */
  flush(): void {
    if (this.#dirty.size === 0) return;
    const open = openByRollout(this.host.jobs());
    for (const id of this.#dirty) {
      const rollout = this.#rollouts.get(id);
      if (rollout) this.host.publish(id, JSON.stringify({...rolloutJson(rollout, open.get(id)), time: new Date(this.host.now()).toISOString()}));
    }
    this.#dirty.clear();
  }

  /**
   * Jobs of the rollout holding a transfer slot now (sending, flashing): counted in one walk over the
   * jobs and kept until a job changes state (`touched`), not a walk per waiting job.
   */
  #transfers(rolloutId: string): number {
    if (!this.#transferCounts) {
      const counts = new Map<string, number>();
      for (const job of this.host.jobs()) if (job.rolloutId && TRANSFER_STATES.has(job.state)) counts.set(job.rolloutId, (counts.get(job.rolloutId) ?? 0) + 1);
      this.#transferCounts = counts;
    }
    return this.#transferCounts.get(rolloutId) ?? 0;
  }

  #touch(id: string): void {
    this.#dirty.add(id);
    this.host.changed();
  }

  #trim(): void {
    const ended = [...this.#rollouts.values()].filter(isEnded);
    for (const rollout of ended.slice(0, Math.max(0, ended.length - ENDED_ROLLOUTS_KEPT))) this.#rollouts.delete(rollout.id);
  }
}

function endedWords(rollout: Rollout): string {
  return rollout.state === 'done' ? 'finished' : rollout.state === 'stopped' ? 'stopped' : 'been cancelled';
}
