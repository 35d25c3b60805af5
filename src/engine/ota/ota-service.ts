import type {MessageInfo} from '../mqtt/client.js';
import type {FirmwareRecord} from '../firmware/store.js';
import type {Log} from '../log.js';
import {cannotCancel, cannotRetry, type Job} from './job.js';
import {OtaEvents} from './event-publisher.js';
import {JobBook} from './job-book.js';
import {JobRunner} from './job-runner.js';
import type {Clock, DeviceInventory, FirmwareLookup, MqttPublisher, NoticeSink, OtaSettings} from './ports.js';
import {PushTransport} from './push-transport.js';
import {PullTransport} from './pull-transport.js';
import type {PullJobs} from './pull-endpoint.js';
import {createJobs, retryJob, type CreateJobsRequest, type CreateJobsResult, type RequestEnv} from './requests.js';
import {RolloutBook} from './rollout-book.js';
import {finish} from './step.js';
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

const READONLY = 'read-only mode (--readonly)';

/**
 * The OTA queue: jobs, rollouts and per-device history, persisted in <firmware root>/jobs.json.
 * Jobs start when their device reports ready and a transfer slot is free; each wait has a timeout
 * with a reason; a job is done only when the device came back running the target version.
 *
 * A thin front: the job book keeps jobs and history (job-book.ts), `step` decides what happens to a
 * job (step.ts), the runner gathers what each job's step needs and carries out its effects
 * (job-runner.ts), the rollout book holds jobs back and stops rollouts (rollout-book.ts), and the push
 * and pull transports deliver (push-transport.ts, pull-transport.ts).
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
  readonly #runner: JobRunner;
  #timer: NodeJS.Timeout | null = null;

  constructor(deps: OtaDeps) {
    this.#deps = deps;
    this.log = deps.log;
    const now = () => deps.clock.now();
    const notice = (level: 'info' | 'warn' | 'error', text: string) => deps.notices.notice('ota', level, text);
    this.#events = new OtaEvents((topic, payload) => deps.mqtt.publish(topic, payload, {qos: 0, retain: false}), () => deps.settings.mqtt.eventsTopic, now, id => this.#rollouts.get(id)?.auto);
    this.#jobs = new JobBook(deps.settings.firmwareRoot, {now, notice, log: deps.log, readonly: deps.settings.readonly, changed: () => deps.jobsChanged()});
    this.#rollouts = new RolloutBook({
      now,
      jobs: () => this.#jobs.values(),
      job: id => this.#jobs.get(id),
      cancelJob: (job, note) => this.#runner.carry(finish(job, 'cancelled', note, now())),
      notice,
      changed: () => this.#jobs.changed(),
      publish: (id, payload) => this.#events.rollout(id, payload),
    });
    this.#push = new PushTransport(deps.mqtt, deps.firmware, deps.settings);
    this.#pull = new PullTransport(deps.mqtt, {activeJobFor: key => this.activeJobFor(key), apply: (id, event) => this.#runner.apply(id, event)});
    this.#runner = new JobRunner({
      jobs: this.#jobs, rollouts: this.#rollouts, events: this.#events, push: this.#push, pull: this.#pull, devices: deps.devices, firmware: deps.firmware,
      settings: deps.settings, clock: deps.clock, notices: deps.notices, log: deps.log, otaUrl: () => deps.otaUrl(), timings: () => this.timings,
    });
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
    this.#runner.started = true;
    this.#timer = setInterval(() => this.tick(), 1000);
    this.#timer.unref();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.#runner.started = false;
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
    this.#runner.apply(id, {kind: 'end', state: 'cancelled', note: 'cancelled by the user'});
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

  // ---- what happens: MQTT statuses, the clock, the scheduler (job-runner.ts) ------------------------

  /** A message on homie-ota's MQTT connection: an OTA status of a pushed job is its answer. */
  statusMessage(topic: string, payload: Buffer, packet: MessageInfo): void {
    this.#runner.statusMessage(topic, payload, packet.retain);
  }

  /** The wall clock jumped by `delta`: the open jobs' waits move with it. */
  clockJumped(delta: number): void {
    this.#jobs.shiftOpen(delta);
    this.#events.clockJumped();
  }

  /** Run tick() soon (coalesces bursts of inventory changes). */
  schedule(): void {
    this.#runner.schedule();
  }

  /** Start what can start, notice devices coming back, enforce timeouts. */
  tick(): void {
    this.#runner.tick();
  }
}
