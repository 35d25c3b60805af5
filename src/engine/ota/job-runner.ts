import type {FirmwareRecord} from '../firmware/store.js';
import type {DeviceRecord} from '../inventory/inventory.js';
import type {Log} from '../log.js';
import type {PublishOutcome} from '../mqtt/client.js';
import {describeJob, isFinal, TRANSFER_STATES, type Job} from './job.js';
import type {OtaEvents} from './event-publisher.js';
import type {JobBook} from './job-book.js';
import type {Clock, DeviceInventory, FirmwareLookup, NoticeSink, OtaSettings} from './ports.js';
import {parsePushStatus} from './push-status.js';
import type {PushTransport} from './push-transport.js';
import type {PullTransport} from './pull-transport.js';
import type {RolloutBook} from './rollout-book.js';
import {listensForStatus, step, type FinalState, type Step, type StepContext, type StepEvent, type TickView} from './step.js';
import type {OtaTimings} from './types.js';

/** a tick yields to the HTTP server and the MQTT client after this long (ms), and goes on right after */
const TICK_SLICE_MS = 20;

export interface RunnerParts {
  readonly jobs: JobBook;
  readonly rollouts: RolloutBook;
  readonly events: OtaEvents;
  readonly push: PushTransport;
  readonly pull: PullTransport;
  readonly devices: DeviceInventory;
  readonly firmware: FirmwareLookup;
  readonly settings: OtaSettings;
  readonly clock: Clock;
  readonly notices: NoticeSink;
  readonly log: Log;
  otaUrl(): string;
  /** the waits' limits as they are now (tests shorten them) */
  timings(): OtaTimings;
}

/**
 * What moves the jobs: the tick (once a second, and soon after an inventory change), a device's OTA
 * status, the pull endpoint's reports. Each gathers what homie-ota sees of the job, asks `step` what
 * follows and carries out its effects in order.
 */
export class JobRunner {
  #started = false;
  #ticking = false;
  #scheduled = false;
  /** the ids a tick still has to look at (a long queue is gone through in slices), and the transfer slots free for them */
  #pass: string[] | null = null;
  #passAt = 0;
  #passSlots = 0;

  constructor(private readonly parts: RunnerParts) {}

  set started(started: boolean) {
    this.#started = started;
  }

  /** An OTA status message (not retained): the answer of the device's pushed job. */
  statusMessage(topic: string, payload: Buffer, retained: boolean): void {
    const deviceKey = this.parts.push.statusDevice(topic, retained);
    if (deviceKey === null) return;
    const job = this.parts.jobs.activeJobFor(deviceKey);
    if (!job || !listensForStatus(job)) return;
    const status = parsePushStatus(payload.toString('utf8'));
    if (!status) {
      this.parts.log.debug(() => `${deviceKey}: unreadable OTA status`);
      return;
    }
    this.carry(step(job, {kind: 'status', status}, this.#context()));
  }

  /** Run tick() soon (coalesces bursts of inventory changes). */
  schedule(): void {
    if (this.#scheduled || !this.#started) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.tick();
    });
  }

  /**
   * Start what can start, notice devices coming back, enforce timeouts. A long queue is gone through
   * in slices of TICK_SLICE_MS, the next one right after pending I/O, so thousands of timeouts firing
   * at once never keep the HTTP server from answering.
   */
  tick(): void {
    if (!this.#started || this.#ticking) return;
    this.#ticking = true;
    const {jobs, rollouts} = this.parts;
    try {
      const ctx = this.#context();
      // a failure since the last tick stops its rollout before anything else of it can start
      rollouts.check(ctx.now);
      if (!this.#pass) {
        // counted once per pass, not per slice (that was a walk over every job 50 times a second);
        // a slot freed during the pass is used by the next one
        this.#pass = jobs.ids();
        this.#passSlots = ctx.concurrency - jobs.list().filter(j => TRANSFER_STATES.has(j.state)).length;
      }
      const pass = this.#pass;
      const until = performance.now() + TICK_SLICE_MS;
      while (this.#passAt < pass.length) {
        if (this.#passAt % 64 === 63 && performance.now() > until) break;
        const job = jobs.get(pass[this.#passAt++]!);
        if (!job || isFinal(job)) continue;
        const result = step(job, {kind: 'tick', view: this.#view(job)}, ctx);
        if (result.effects.some(e => e.type === 'send')) this.#passSlots--;
        this.carry(result);
      }
      const more = this.#passAt < pass.length;
      if (!more) {
        this.#pass = null;
        this.#passAt = 0;
        jobs.trimIfDue();
      }
      rollouts.check(ctx.now);
      rollouts.flush();
      if (more) setImmediate(() => this.tick());
    } finally {
      this.#ticking = false;
    }
  }

  #view(job: Job): TickView {
    const {devices, firmware, rollouts, settings, push} = this.parts;
    const waiting = job.state === 'queued' || job.state === 'waiting';
    return {
      device: devices.get(job.deviceKey),
      firmware: waiting ? firmware.find(job.firmware.name, job.firmware.version) : undefined,
      inventoryLoaded: devices.discoveryStatus.completedAt !== undefined,
      slots: this.#passSlots,
      gate: waiting ? rollouts.gate(job) : null,
      readonly: settings.readonly,
      reconnectedSinceSend: (job.state === 'sending' || job.state === 'flashing' || job.state === 'rebooting') && push.brokeSince(job.id),
    };
  }

  #context(): StepContext {
    const parts = this.parts;
    return {
      now: parts.clock.now(),
      timings: parts.timings(),
      concurrency: parts.settings.concurrency,
      get otaUrl() {
        return parts.otaUrl();
      },
    };
  }

  /** Carry an event to an open job (nothing happens to a finished or unknown one). */
  apply(jobId: string, event: StepEvent): void {
    const job = this.parts.jobs.get(jobId);
    if (job && !isFinal(job)) this.carry(step(job, event, this.#context()));
  }

  /** Carry out a step's effects, in order. */
  carry({job, effects}: Step): void {
    const {jobs, rollouts, events, notices, log} = this.parts;
    for (const effect of effects) {
      switch (effect.type) {
        case 'update':
          jobs.set(job);
          if (effect.announce) {
            log.info(describeJob(job));
            rollouts.touched(job);
          }
          events.job(job, effect.announce);
          jobs.changed();
          break;
        case 'finished':
          this.#ended(job, effect.state, effect.note);
          break;
        case 'notice':
          notices.notice('ota', effect.level, effect.text);
          break;
        case 'log':
          log.info(effect.text);
          break;
        case 'send':
          void this.#send(job, effect.device, effect.firmware);
          break;
      }
    }
  }

  #ended(job: Job, state: FinalState, note: string): void {
    this.parts.rollouts.tally(job, state, 1);
    this.parts.pull.forget(job.id);
    this.parts.push.forget(job.id);
    this.parts.jobs.record(job, state, note);
    this.parts.jobs.finished();
  }

  async #send(job: Job, device: DeviceRecord, firmware: FirmwareRecord): Promise<void> {
    const {jobs, push, pull} = this.parts;
    // write-ahead: jobs.json says "sending" before anything leaves, so that after a crash the job is
    // watched (what does the device run now?) and never pushed a second time blindly
    await jobs.saveNow().catch(() => {});
    if (!this.#started || jobs.get(job.id)?.state !== 'sending') return;
    push.sending(job.id);
    let outcome: PublishOutcome;
    if (job.method === 'mqtt-push') {
      const sent = await push.send(device, firmware);
      if ('error' in sent) return this.apply(job.id, {kind: 'end', state: 'failed', note: sent.error});
      outcome = sent.outcome;
    } else {
      outcome = await pull.send(job, device, firmware);
    }
    if (outcome === 'unconfirmed') push.unconfirmed(job.id);
    this.apply(job.id, {kind: 'published', ok: outcome === 'sent', unconfirmed: outcome === 'unconfirmed'});
  }
}
