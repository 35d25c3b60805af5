import type {IPublishPacket} from 'mqtt';
import type {FirmwareRecord} from '../firmware/store.js';
import type {DeviceRecord} from '../inventory/inventory.js';
import type {Log} from '../log.js';
import {cannotCancel, cannotRetry, describeJob, isFinal, TRANSFER_STATES, type Job} from './job.js';
import {OtaEvents} from './event-publisher.js';
import {JobBook} from './job-book.js';
import type {Clock, DeviceInventory, FirmwareLookup, MqttPublisher, NoticeSink, OtaSettings} from './ports.js';
import {parsePushStatus} from './push-status.js';
import {PushTransport} from './push-transport.js';
import {PullTransport} from './pull-transport.js';
import type {PullJobs} from './pull-endpoint.js';
import {createJobs, retryJob, type CreateJobsRequest, type CreateJobsResult, type RequestEnv} from './requests.js';
import {RolloutBook} from './rollout-book.js';
import {finish, listensForStatus, step, type FinalState, type Step, type StepContext, type StepEvent, type TickView} from './step.js';
import {DEFAULT_TIMINGS, type HistoryEntry, type OtaTimings, type Rollout} from './types.js';

/** What the OTA queue is given by engine.ts. */
export interface OtaDeps {
  readonly clock: Clock;
  readonly log: Log;
  readonly notices: NoticeSink;
  readonly mqtt: MqttPublisher;
  readonly devices: DeviceInventory;
  readonly firmware: FirmwareLookup;
  readonly settings: OtaSettings;
  /** where Homie 1.x devices download from, e.g. http://192.168.1.10:9080/ota */
  otaUrl(): string;
  /** jobs, rollouts or history changed (the dashboard redraws) */
  jobsChanged(): void;
}

/** a tick yields to the HTTP server and the MQTT client after this long (ms), and goes on right after */
const TICK_SLICE_MS = 20;
const READONLY = 'read-only mode (--readonly)';

/**
 * The OTA queue: jobs, rollouts and per-device history, persisted in <firmware root>/jobs.json.
 * Jobs start when their device reports ready and a transfer slot is free; each wait has a timeout
 * with a reason; a job is done only when the device came back running the target version.
 *
 * A thin front: the job book keeps jobs and history (job-book.ts), `step` decides what happens to a
 * job (step.ts), the rollout book holds jobs back and stops rollouts (rollout-book.ts), and the push
 * and pull transports deliver (push-transport.ts, pull-transport.ts). Here the effects are carried out.
 */
export class OtaService {
  readonly name = 'ota queue';
  readonly log: Log;
  timings: OtaTimings = DEFAULT_TIMINGS;
  readonly #deps: OtaDeps;
  readonly #jobs: JobBook;
  readonly #rollouts: RolloutBook;
  readonly #events: OtaEvents;
  readonly #push: PushTransport;
  readonly #pull: PullTransport;
  #timer: NodeJS.Timeout | null = null;
  #started = false;
  #ticking = false;
  #scheduled = false;
  /** the ids a tick still has to look at (a long queue is gone through in slices), and the transfer slots free for them */
  #pass: string[] | null = null;
  #passAt = 0;
  #passSlots = 0;

  constructor(deps: OtaDeps) {
    this.#deps = deps;
    this.log = deps.log;
    const now = () => deps.clock.now();
    const notice = (level: 'info' | 'warn' | 'error', text: string) => deps.notices.notice('ota', level, text);
    this.#events = new OtaEvents((topic, payload) => deps.mqtt.publish(topic, payload, {qos: 0, retain: false}), () => deps.settings.mqtt.eventsTopic, now);
    this.#jobs = new JobBook(deps.settings.firmwareRoot, {now, notice, log: deps.log, readonly: deps.settings.readonly, changed: () => deps.jobsChanged()});
    this.#rollouts = new RolloutBook({
      now,
      jobs: () => this.#jobs.values(),
      job: id => this.#jobs.get(id),
      cancelJob: (job, note) => this.#carry(finish(job, 'cancelled', note, now())),
      notice,
      changed: () => this.#jobs.changed(),
      publish: (id, payload) => this.#events.rollout(id, payload),
    });
    this.#push = new PushTransport(deps.mqtt, deps.firmware, deps.settings);
    this.#pull = new PullTransport(deps.mqtt, {activeJobFor: key => this.activeJobFor(key), apply: (id, event) => this.#apply(id, event)});
  }

  get file(): string {
    return this.#jobs.file;
  }

  get concurrency(): number {
    return this.#deps.settings.concurrency;
  }

  /** The hooks of the HTTP pull endpoint (pull-endpoint.ts). */
  get pullJobs(): PullJobs {
    return this.#pull;
  }

  async start(): Promise<void> {
    const data = this.#jobs.load(() => this.#rollouts.list());
    this.#rollouts.restore(data.rollouts, data.jobs);
    this.#started = true;
    this.#timer = setInterval(() => this.tick(), 1000);
    this.#timer.unref();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#rollouts.flush();
    await this.#jobs.close();
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** Every job kept, oldest first. */
  list(): readonly Job[] {
    return this.#jobs.list();
  }

  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  /** Rollouts until dismissed: running, paused, stopped (with the reason), finished, cancelled. */
  rollouts(): readonly Rollout[] {
    return this.#rollouts.list();
  }

  rollout(id: string): Rollout | undefined {
    return this.#rollouts.get(id);
  }

  /** "4 devices: 1 done · 2 skipped (up to date) · 1 cancelled" */
  rolloutSummary(rollout: Rollout): string {
    return this.#rollouts.summary(rollout);
  }

  historyFor(deviceKey: string): readonly HistoryEntry[] {
    return this.#jobs.historyFor(deviceKey);
  }

  /** The job that is not finished for a device, if any. */
  activeJobFor(deviceKey: string): Job | undefined {
    return this.#jobs.activeJobFor(deviceKey);
  }

  /** rises with every change of jobs, rollouts or history (the dashboard store compares it) */
  get revision(): number {
    return this.#jobs.revision;
  }

  /** Why a firmware file may not be deleted (an open job uses it), or null. */
  inUse(record: FirmwareRecord): string | null {
    return this.#jobs.inUse(record);
  }

  // ---- commands ---------------------------------------------------------------------------------

  create(request: CreateJobsRequest): CreateJobsResult {
    if (this.#deps.settings.readonly) return {jobs: [], skipped: [], refused: [], error: 'read-only mode (--readonly): no updates'};
    const result = createJobs(this.#requests(), request);
    this.schedule();
    return result;
  }

  /** Why `c` / DELETE cannot cancel this job, in words, or null when it can. */
  cancelRefusal(id: string): string | null {
    const job = this.#jobs.get(id);
    if (!job) return `no job ${id}`;
    return this.#deps.settings.readonly ? READONLY : cannotCancel(job);
  }

  /** Cancel a job that has not reached the device yet (a transfer in progress cannot be stopped). */
  cancel(id: string): {ok: boolean; message: string} {
    const refusal = this.cancelRefusal(id);
    if (refusal) return {ok: false, message: refusal};
    this.#apply(id, {kind: 'end', state: 'cancelled', note: 'cancelled by the user'});
    return {ok: true, message: `cancelled ${id}`};
  }

  /** Why `r` / POST …/retry cannot try this job again, in words, or null when it can. */
  retryRefusal(id: string): string | null {
    const job = this.#jobs.get(id);
    if (!job) return `no job ${id}`;
    if (this.#deps.settings.readonly) return READONLY;
    const refusal = cannotRetry(job);
    if (refusal) return refusal;
    const active = this.activeJobFor(job.deviceKey);
    if (active) return `${job.deviceId} already has job ${active.id} (${active.state})`;
    if (!this.#deps.devices.get(job.deviceKey)) return `${job.deviceId} is no longer in the inventory`;
    if (!this.#deps.firmware.find(job.firmware.name, job.firmware.version)) return `${job.firmware.file} is no longer in the store`;
    return null;
  }

  /** Try a failed or cancelled job again (a new attempt, counted). */
  retry(id: string): {ok: boolean; message: string; job?: Job} {
    const refusal = this.retryRefusal(id);
    if (refusal) return {ok: false, message: refusal};
    const outcome = retryJob(this.#requests(), this.#jobs.get(id)!);
    if (outcome.ok) this.schedule();
    return outcome;
  }

  #requests(): RequestEnv {
    const deps = this.#deps;
    return {
      jobs: this.#jobs, rollouts: this.#rollouts, devices: deps.devices, firmware: deps.firmware, log: this.log,
      now: () => deps.clock.now(), notice: (level, text) => deps.notices.notice('ota', level, text), queued: job => this.#events.job(job, true),
    };
  }

  setRolloutState(id: string, state: 'paused' | 'running' | 'cancelled'): {ok: boolean; message: string} {
    if (this.#deps.settings.readonly) return {ok: false, message: READONLY};
    const outcome = this.#rollouts.setState(id, state);
    if (outcome.ok) this.schedule();
    return outcome;
  }

  /** Why an ended rollout cannot be dismissed (it is still running, unknown), or null. */
  dismissRefusal(id: string): string | null {
    return this.#deps.settings.readonly ? READONLY : this.#rollouts.dismissRefusal(id);
  }

  /** Take an ended rollout off the list; its jobs stay (until they are trimmed as any finished job). */
  dismissRollout(id: string): {ok: boolean; message: string} {
    const refusal = this.dismissRefusal(id);
    return refusal ? {ok: false, message: refusal} : this.#rollouts.dismiss(id);
  }

  // ---- what happens: MQTT statuses, the clock, the scheduler --------------------------------------

  /** A message on homie-ota's MQTT connection: an OTA status of a pushed job is its answer. */
  statusMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const deviceKey = this.#push.statusDevice(topic, packet.retain);
    if (deviceKey === null) return;
    const job = this.activeJobFor(deviceKey);
    if (!job || !listensForStatus(job)) return;
    const status = parsePushStatus(payload.toString('utf8'));
    if (!status) {
      this.log.debug(() => `${deviceKey}: unreadable OTA status`);
      return;
    }
    this.#carry(step(job, {kind: 'status', status}, this.#context()));
  }

  /** The wall clock jumped by `delta`: the open jobs' waits move with it. */
  clockJumped(delta: number): void {
    this.#jobs.shiftOpen(delta);
    this.#events.clockJumped();
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
    try {
      const ctx = this.#context();
      // a failure since the last tick stops its rollout before anything else of it can start
      this.#rollouts.check(ctx.now);
      if (!this.#pass) {
        // counted once per pass, not per slice (that was a walk over every job 50 times a second);
        // a slot freed during the pass is used by the next one
        this.#pass = this.#jobs.ids();
        this.#passSlots = this.concurrency - this.#jobs.list().filter(j => TRANSFER_STATES.has(j.state)).length;
      }
      const pass = this.#pass;
      const until = performance.now() + TICK_SLICE_MS;
      while (this.#passAt < pass.length) {
        if (this.#passAt % 64 === 63 && performance.now() > until) break;
        const job = this.#jobs.get(pass[this.#passAt++]!);
        if (!job || isFinal(job)) continue;
        const result = step(job, {kind: 'tick', view: this.#view(job)}, ctx);
        if (result.effects.some(e => e.type === 'send')) this.#passSlots--;
        this.#carry(result);
      }
      const more = this.#passAt < pass.length;
      if (!more) {
        this.#pass = null;
        this.#passAt = 0;
        this.#jobs.trimIfDue();
      }
      this.#rollouts.check(ctx.now);
      this.#rollouts.flush();
      if (more) setImmediate(() => this.tick());
    } finally {
      this.#ticking = false;
    }
  }

  #view(job: Job): TickView {
    const waiting = job.state === 'queued' || job.state === 'waiting';
    return {
      device: this.#deps.devices.get(job.deviceKey),
      firmware: waiting ? this.#deps.firmware.find(job.firmware.name, job.firmware.version) : undefined,
      inventoryLoaded: this.#deps.devices.discoveryStatus.completedAt !== undefined,
      slots: this.#passSlots,
      gate: waiting ? this.#rollouts.gate(job) : null,
      readonly: this.#deps.settings.readonly,
      reconnectedSinceSend: job.state === 'flashing' && this.#push.reconnectedSince(job.id),
    };
  }

  #context(): StepContext {
    const deps = this.#deps;
    return {
      now: deps.clock.now(),
      timings: this.timings,
      concurrency: this.concurrency,
      get otaUrl() {
        return deps.otaUrl();
      },
    };
  }

  // ---- carrying out -----------------------------------------------------------------------------

  /** Carry an event to an open job. */
  #apply(jobId: string, event: StepEvent): void {
    const job = this.#jobs.get(jobId);
    if (job && !isFinal(job)) this.#carry(step(job, event, this.#context()));
  }

  #carry({job, effects}: Step): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'update':
          this.#jobs.set(job);
          if (effect.announce) {
            this.log.info(describeJob(job));
            this.#rollouts.touched(job);
          }
          this.#events.job(job, effect.announce);
          this.#jobs.changed();
          break;
        case 'finished':
          this.#ended(job, effect.state, effect.note);
          break;
        case 'notice':
          this.#deps.notices.notice('ota', effect.level, effect.text);
          break;
        case 'log':
          this.log.info(effect.text);
          break;
        case 'send':
          void this.#send(job, effect.device, effect.firmware);
          break;
      }
    }
  }

  #ended(job: Job, state: FinalState, note: string): void {
    this.#rollouts.tally(job, state, 1);
    this.#pull.forget(job.id);
    this.#push.forget(job.id);
    this.#jobs.record(job, state, note);
    this.#jobs.finished();
  }

  async #send(job: Job, device: DeviceRecord, firmware: FirmwareRecord): Promise<void> {
    // write-ahead: jobs.json says "sending" before anything leaves, so that after a crash the job is
    // watched (what does the device run now?) and never pushed a second time blindly
    await this.#jobs.saveNow().catch(() => {});
    if (!this.#started || this.#jobs.get(job.id)?.state !== 'sending') return;
    this.#push.sending(job.id);
    let published: boolean;
    if (job.method === 'mqtt-push') {
      const sent = await this.#push.send(device, firmware);
      if ('error' in sent) return this.#apply(job.id, {kind: 'end', state: 'failed', note: sent.error});
      published = sent.published;
    } else {
      published = await this.#pull.send(job, device, firmware);
    }
    this.#apply(job.id, {kind: 'published', ok: published});
  }
}
