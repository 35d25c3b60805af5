import path from 'node:path';
import type {IPublishPacket} from 'mqtt';
import type {Engine, Service} from '../engine.js';
import type {DeviceRecord} from '../inventory/inventory.js';
import type {FirmwareRecord} from '../firmware/store.js';
import type {Log} from '../log.js';
import {annotate, cannotCancel, cannotRetry, describeJob, FINAL_STATES, isFinal, percent, TRANSFER_STATES, transition, type Job, type JobFirmware, type WaitKind} from './job.js';
import {EventPublisher} from './event-publisher.js';
import {EMPTY_JOBS_FILE, FINISHED_JOBS_KEPT, HISTORY_PER_DEVICE, loadJobsFile, saveJobsFile, saveJobsFileSync, type JobsFile} from './jobs-file.js';
import {planUpdate} from './plan.js';
import {explainPushStatus, parsePushStatus, pushTopic} from './push-status.js';
import {RolloutBook} from './rollout-book.js';
import {isEnded} from './rollout-counts.js';
import {DEFAULT_TIMINGS, type HistoryEntry, type OtaTimings, type Rollout} from './types.js';
import {v1OtaPayload} from './v1-payload.js';

export interface CreateJobsRequest {
  readonly deviceKeys: readonly string[];
  readonly firmware: {readonly name: string; readonly version: string};
  /** make it a rollout: the first device is a canary, stop after maxFailures failures */
  readonly rollout?: {readonly scope: string; readonly canary: boolean; readonly maxFailures: number};
  /** allow a device to get another firmware name than it runs (default: only for a single device) */
  readonly allowNameChange?: boolean;
}

export interface CreateJobsResult {
  readonly jobs: readonly Job[];
  readonly skipped: ReadonlyArray<{readonly deviceKey: string; readonly reason: string}>;
  readonly refused: ReadonlyArray<{readonly deviceKey: string; readonly reason: string}>;
  readonly rollout?: Rollout;
  /** when nothing could be done at all */
  readonly error?: string;
}

/** a tick yields to the HTTP server and the MQTT client after this long (ms), and goes on right after */
const TICK_SLICE_MS = 20;

/**
 * The OTA queue: jobs, rollouts and per-device history, persisted in <firmware root>/jobs.json.
 * Jobs start when their device reports ready and a transfer slot is free; each wait has a timeout
 * with a reason; a job is done only when the device came back running the target version.
 */
export class OtaService implements Service {
  readonly name = 'ota queue';
  readonly log: Log;
  readonly file: string;
  timings: OtaTimings = DEFAULT_TIMINGS;
  #jobs = new Map<string, Job>();
  readonly #book: RolloutBook;
  #history = new Map<string, HistoryEntry[]>();
  #nextId = 1;
  #timer: NodeJS.Timeout | null = null;
  #saveTimer: NodeJS.Timeout | null = null;
  /** the jobs.json write in progress: writes run one after the other, so an older one never lands last */
  #saving: Promise<void> = Promise.resolve();
  #saveProblem: string | null = null;
  #started = false;
  #ticking = false;
  #lastEventAt = new Map<string, number>();
  /** the ids a tick still has to look at (a long queue is gone through in slices), and the transfer slots free for them */
  #pass: string[] | null = null;
  #passAt = 0;
  #passSlots = 0;
  #trimDue = false;
  readonly #events: EventPublisher;
  /** broker connections made before each transfer began: a reconnect since explains a stall */
  readonly #connectsAtSend = new Map<string, number>();
  /** hooks for the HTTP pull path (pull-endpoint.ts) */
  readonly v1Payloads = new Map<string, string>();

  constructor(readonly engine: Engine) {
    this.log = engine.logger.child('ota');
    this.file = path.join(engine.config.firmwareRoot, 'jobs.json');
    this.#events = new EventPublisher((topic, payload) => engine.mqtt.publish(topic, payload, {qos: 0, retain: false}));
    this.#book = new RolloutBook({
      now: () => this.engine.now(),
      jobs: () => this.#jobs.values(),
      job: id => this.#jobs.get(id),
      cancelJob: (job, note) => this.#finish(job, 'cancelled', note),
      notice: (level, text) => this.engine.notice('ota', level, text),
      changed: () => this.#changed(),
      publish: (id, payload) => this.#events.send(`${this.engine.config.mqtt.eventsTopic}/rollouts/${id}`, payload),
    });
    engine.mqtt.onMessage((topic, payload, packet) => this.#onMessage(topic, payload, packet));
    engine.bus.on('inventory', () => this.schedule());
    engine.clock.onJump(delta => this.#clockJumped(delta));
  }

  get concurrency(): number {
    return this.engine.config.concurrency;
  }

  async start(): Promise<void> {
    const loaded = loadJobsFile(this.file, this.engine.now(), {readonly: this.engine.readonly});
    if (loaded.problem) this.engine.notice('ota', 'error', loaded.problem);
    if (loaded.trimmed) this.engine.notice('ota', 'warn', loaded.trimmed);
    this.#restore(loaded.data);
    this.#started = true;
    this.engine.firmware.setInUseCheck((record: FirmwareRecord) => this.#inUse(record));
    this.#timer = setInterval(() => this.tick(), 1000);
    this.#timer.unref();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#book.flush();
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    await this.#saving;
    // --readonly writes nothing: a viewer beside the running instance must not write its copy over jobs.json
    if (this.engine.readonly) return;
    try {
      saveJobsFileSync(this.file, this.#snapshotFile());
    } catch (error) {
      this.log.error(`cannot save ${this.file}: ${(error as Error).message}`);
    }
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** Every job kept, oldest first. */
  list(): readonly Job[] {
    return [...this.#jobs.values()];
  }

  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  /** Rollouts until dismissed: running, paused, stopped (with the reason), finished, cancelled. */
  rollouts(): readonly Rollout[] {
    return this.#book.list();
  }

  rollout(id: string): Rollout | undefined {
    return this.#book.get(id);
  }

  /** "4 devices: 1 done · 2 skipped (up to date) · 1 cancelled" */
  rolloutSummary(rollout: Rollout): string {
    return this.#book.summary(rollout);
  }

  historyFor(deviceKey: string): readonly HistoryEntry[] {
    return this.#history.get(deviceKey) ?? [];
  }

  /** The job that is not finished for a device, if any. */
  activeJobFor(deviceKey: string): Job | undefined {
    for (const job of this.#jobs.values()) if (job.deviceKey === deviceKey && !isFinal(job)) return job;
    return undefined;
  }

  // ---- commands ---------------------------------------------------------------------------------

  create(request: CreateJobsRequest): CreateJobsResult {
    if (this.engine.readonly) return {jobs: [], skipped: [], refused: [], error: 'read-only mode (--readonly): no updates'};
    const firmware = this.engine.firmware.find(request.firmware.name, request.firmware.version);
    if (!firmware) return {jobs: [], skipped: [], refused: [], error: `no firmware ${request.firmware.name} ${request.firmware.version} in the store`};
    const now = this.engine.now();
    const jobs: Job[] = [];
    const skipped: Array<{deviceKey: string; reason: string}> = [];
    const refused: Array<{deviceKey: string; reason: string}> = [];
    const rolloutId = request.rollout ? `r-${this.#nextId++}` : undefined;
    const keys = [...new Set(request.deviceKeys)];
    const allowNameChange = request.allowNameChange ?? keys.length === 1;
    const upToDate: Array<{job: Job; reason: string}> = [];
    for (const key of keys) {
      const device = this.engine.inventory.get(key);
      if (!device) {
        refused.push({deviceKey: key, reason: 'not in the inventory'});
        continue;
      }
      const active = this.activeJobFor(key);
      if (active) {
        refused.push({deviceKey: key, reason: `already has job ${active.id} (${active.state})`});
        continue;
      }
      const plan = planUpdate(device, firmware, {allowNameChange});
      if (plan.kind === 'refuse') {
        refused.push({deviceKey: key, reason: plan.reason});
        continue;
      }
      if (plan.kind === 'skip') {
        skipped.push({deviceKey: key, reason: plan.reason});
        upToDate.push({job: this.#newJob(device, firmware, 'mqtt-push', now, rolloutId), reason: plan.reason});
        continue;
      }
      const job = {...this.#newJob(device, firmware, plan.method, now, rolloutId), ...(allowNameChange ? {} : {sameName: true})};
      const noted = plan.warnings.reduce((j, w) => annotate(j, now, `note: ${w}`), job);
      this.#jobs.set(job.id, noted);
      this.#publishEvent(noted, true);
      jobs.push(noted);
      this.log.info(`queued ${describeJob(noted)}${plan.warnings.length ? ` (${plan.warnings.join('; ')})` : ''}`);
    }
    let rollout: Rollout | undefined;
    if (request.rollout && rolloutId && jobs.length > 0) {
      rollout = this.#book.add({
        id: rolloutId,
        firmware: {name: firmware.name, version: firmware.version},
        scope: request.rollout.scope,
        state: 'running',
        canaryJobId: request.rollout.canary && jobs.length > 1 ? jobs[0]!.id : undefined,
        maxFailures: Math.max(1, request.rollout.maxFailures),
        createdAt: now,
        updatedAt: now,
      }, jobs.length, upToDate.length);
      const upToDateNote = upToDate.length > 0 ? ` (${upToDate.length} more already run it: skipped)` : '';
      this.engine.notice('ota', 'info', `rollout ${rollout.id}: ${firmware.name} ${firmware.version} to ${jobs.length} device(s)${upToDateNote}${rollout.canaryJobId ? `, canary ${jobs[0]!.deviceId} first` : ''}, stop after ${rollout.maxFailures} failure(s)`);
    }
    // the skipped devices belong to the rollout only when there is one
    for (const {job, reason} of upToDate) this.#record(rollout ? job : {...job, rolloutId: undefined}, 'skipped', reason);
    if (this.#trimDue) this.#trimFinished();
    this.#changed();
    this.schedule();
    return {jobs, skipped, refused, rollout};
  }

  /** Why `c` / DELETE cannot cancel this job, in words, or null when it can. */
  cancelRefusal(id: string): string | null {
    const job = this.#jobs.get(id);
    if (!job) return `no job ${id}`;
    return this.engine.readonly ? 'read-only mode (--readonly)' : cannotCancel(job);
  }

  /** Cancel a job that has not reached the device yet (a transfer in progress cannot be stopped). */
  cancel(id: string): {ok: boolean; message: string} {
    const refusal = this.cancelRefusal(id);
    if (refusal) return {ok: false, message: refusal};
    this.#finish(this.#jobs.get(id)!, 'cancelled', 'cancelled by the user');
    return {ok: true, message: `cancelled ${id}`};
  }

  /** Why `r` / POST …/retry cannot try this job again, in words, or null when it can. */
  retryRefusal(id: string): string | null {
    const job = this.#jobs.get(id);
    if (!job) return `no job ${id}`;
    if (this.engine.readonly) return 'read-only mode (--readonly)';
    const refusal = cannotRetry(job);
    if (refusal) return refusal;
    const active = this.activeJobFor(job.deviceKey);
    if (active) return `${job.deviceId} already has job ${active.id} (${active.state})`;
    if (!this.engine.inventory.get(job.deviceKey)) return `${job.deviceId} is no longer in the inventory`;
    if (!this.engine.firmware.find(job.firmware.name, job.firmware.version)) return `${job.firmware.file} is no longer in the store`;
    return null;
  }

  /** Try a failed or cancelled job again (a new attempt, counted). */
  retry(id: string): {ok: boolean; message: string; job?: Job} {
    const refusal = this.retryRefusal(id);
    if (refusal) return {ok: false, message: refusal};
    const job = this.#jobs.get(id)!;
    const device = this.engine.inventory.get(job.deviceKey)!;
    const firmware = this.engine.firmware.find(job.firmware.name, job.firmware.version)!;
    const plan = planUpdate(device, firmware, {allowNameChange: !job.sameName});
    if (plan.kind !== 'go') return {ok: false, message: plan.reason};
    const now = this.engine.now();
    const fresh: Job = {...this.#newJob(device, firmware, plan.method, now, job.rolloutId), attempt: job.attempt + 1, ...(job.sameName ? {sameName: true} : {})};
    this.#jobs.set(job.id, {...job, retriedAs: fresh.id});
    this.#jobs.set(fresh.id, annotate(fresh, now, `retry of ${job.id}`));
    // the device has no outcome in its rollout until the new attempt ends
    this.#book.tally(job, job.state as 'failed' | 'cancelled', -1);
    this.log.info(`retrying ${job.id} as ${fresh.id}`);
    this.#changed();
    this.schedule();
    return {ok: true, message: `retrying as ${fresh.id}`, job: fresh};
  }

  setRolloutState(id: string, state: 'paused' | 'running' | 'cancelled'): {ok: boolean; message: string} {
    if (this.engine.readonly) return {ok: false, message: 'read-only mode (--readonly)'};
    const outcome = this.#book.setState(id, state);
    if (outcome.ok) this.schedule();
    return outcome;
  }

  /** Why an ended rollout cannot be dismissed (it is still running, unknown), or null. */
  dismissRefusal(id: string): string | null {
    return this.engine.readonly ? 'read-only mode (--readonly)' : this.#book.dismissRefusal(id);
  }

  /** Take an ended rollout off the list; its jobs stay (until they are trimmed as any finished job). */
  dismissRollout(id: string): {ok: boolean; message: string} {
    const refusal = this.dismissRefusal(id);
    return refusal ? {ok: false, message: refusal} : this.#book.dismiss(id);
  }

  // ---- the scheduler ----------------------------------------------------------------------------

  #scheduled = false;

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
      const now = this.engine.now();
      // a failure since the last tick stops its rollout before anything else of it can start
      this.#book.check(now);
      if (!this.#pass) {
        // counted once per pass, not per slice (that was a walk over every job 50 times a second);
        // a slot freed during the pass is used by the next one
        this.#pass = [...this.#jobs.keys()];
        this.#passSlots = this.concurrency - [...this.#jobs.values()].filter(j => TRANSFER_STATES.has(j.state)).length;
      }
      const pass = this.#pass;
      const until = performance.now() + TICK_SLICE_MS;
      while (this.#passAt < pass.length) {
        if (this.#passAt % 64 === 63 && performance.now() > until) break;
        const job = this.#jobs.get(pass[this.#passAt++]!);
        if (!job || isFinal(job)) continue;
        const device = this.engine.inventory.get(job.deviceKey);
        switch (job.state) {
          case 'queued':
          case 'waiting':
            // --readonly sends nothing: a viewer must never push the jobs it loaded (the owner does)
            if (this.engine.readonly) break;
            if (this.#tryStart(job, device, now, this.#passSlots)) this.#passSlots--;
            break;
          case 'sending':
          case 'flashing':
            this.#checkTransfer(job, device, now);
            break;
          case 'rebooting':
          case 'verifying':
            this.#checkReturn(job, device, now);
            break;
        }
      }
      const more = this.#passAt < pass.length;
      if (!more) {
        this.#pass = null;
        this.#passAt = 0;
        if (this.#trimDue) this.#trimFinished();
      }
      this.#book.check(now);
      this.#book.flush();
      if (more) setImmediate(() => this.tick());
    } finally {
      this.#ticking = false;
    }
  }

  #gate(job: Job): {reason: string; kind: WaitKind} | null {
    if (!job.rolloutId) return null;
    const rollout = this.#book.get(job.rolloutId);
    // an ended rollout holds nothing back: a job of it retried by the user just runs
    if (!rollout || isEnded(rollout)) return null;
    if (rollout.state === 'paused') return {reason: `rollout ${rollout.id} is paused`, kind: 'paused'};
    if (rollout.canaryJobId && job.id !== rollout.canaryJobId) {
      const canary = this.#jobs.get(rollout.canaryJobId);
      if (canary && canary.state !== 'done' && canary.state !== 'skipped') return {reason: `waiting for the canary ${canary.deviceId} to succeed`, kind: 'canary'};
    }
    return null;
  }

  #wait(job: Job, reason: string, kind: WaitKind, now: number): void {
    if (job.state === 'waiting' && job.waitingFor === reason && job.waitKind === kind) return;
    this.#put(transition(job, 'waiting', now, job.state === 'waiting' ? undefined : reason, {waitingFor: reason, waitKind: kind}), job.state !== 'waiting');
  }

  #tryStart(job: Job, device: DeviceRecord | undefined, now: number, slots: number): boolean {
    const gate = this.#gate(job);
    if (gate) {
      this.#wait(job, gate.reason, gate.kind, now);
      return false;
    }
    if (this.engine.inventory.discoveryStatus.completedAt === undefined) {
      // decide on complete records only: a device shows ready before all its attributes are in
      this.#wait(job, 'the inventory is still loading from the broker', 'inventory', now);
      return false;
    }
    if (!device) {
      this.#wait(job, 'the device is not in the inventory; starts if it comes back', 'device', now);
      return false;
    }
    if (device.state !== 'ready') {
      const why = device.state === 'sleeping' ? 'the device is asleep; starts when it wakes' : `the device is ${device.state}; starts when it reports ready`;
      this.#wait(job, why, 'device', now);
      return false;
    }
    // the device may have changed since the job was queued (updated by hand, OTA switched off)
    const firmware = this.engine.firmware.find(job.firmware.name, job.firmware.version);
    if (!firmware) {
      this.#finish(job, 'failed', `${job.firmware.file} is no longer in the firmware store`);
      return false;
    }
    const plan = planUpdate(device, firmware, {allowNameChange: !job.sameName});
    if (plan.kind === 'skip') {
      this.#finish(job, 'skipped', plan.reason);
      return false;
    }
    if (plan.kind === 'refuse') {
      this.#finish(job, 'failed', plan.reason);
      return false;
    }
    if (slots <= 0) {
      this.#wait(job, `waiting for a transfer slot (${this.concurrency} in use)`, 'slot', now);
      return false;
    }
    void this.#send(job, device, firmware);
    return true;
  }

  async #send(job: Job, device: DeviceRecord, firmware: FirmwareRecord): Promise<void> {
    const now = this.engine.now();
    const sending = transition(job, 'sending', now, job.method === 'mqtt-push' ? `pushing ${firmware.size} bytes over MQTT` : 'asking the device to download it ($ota)', {
      sentAt: now,
      from: {name: device.fw.name, version: device.fw.version, checksum: device.fw.checksum},
      progress: {done: 0, total: firmware.size, firstAt: now, lastAt: now},
    });
    this.#put(sending);
    // write-ahead: jobs.json says "sending" before anything leaves, so that after a crash the job is
    // watched (what does the device run now?) and never pushed a second time blindly
    await this.#saveNow().catch(() => {});
    if (!this.#started || this.#jobs.get(job.id)?.state !== 'sending') return;
    let published: boolean;
    // counted before publishing: MQTT.js holds a publish while offline and resolves it after a reconnect
    this.#connectsAtSend.set(job.id, this.engine.mqtt.status.connects);
    if (job.method === 'mqtt-push') {
      const read = await this.engine.firmware.readChecked(firmware);
      if (!read.ok) {
        this.#finish(this.#jobs.get(job.id)!, 'failed', read.reason);
        return;
      }
      const image = read.data;
      const payload = this.engine.config.base64 ? Buffer.from(image.toString('base64'), 'latin1') : image;
      published = await this.engine.mqtt.publish(pushTopic(device.prefix, device.id, firmware.md5), payload, {qos: 1, retain: false});
    } else {
      const payload = v1OtaPayload(firmware.name, firmware.version)!;
      this.v1Payloads.set(job.id, payload);
      published = await this.engine.mqtt.publish(`${device.prefix}/${device.id}/$ota`, payload, {qos: 1, retain: false});
    }
    const current = this.#jobs.get(job.id);
    if (!current || current.state !== 'sending') return;
    if (!published) {
      // it never reached the broker, so the device was not attempted: wait and send again
      this.#put(transition(current, 'waiting', this.engine.now(), 'the broker connection was down; will send again', {waitingFor: 'the broker connection; will send again', waitKind: 'broker', sentAt: undefined, progress: undefined}));
      return;
    }
    this.log.info(`sent ${describeJob(current)}`);
  }

  #checkTransfer(job: Job, device: DeviceRecord | undefined, now: number): void {
    if (!job.sentAt) return;
    if (job.method === 'v1-ota') {
      if (job.state === 'sending' && !job.acceptedAt && now - job.sentAt > this.timings.v1Request) {
        this.#finish(job, 'failed', `the device did not download the firmware within ${Math.round(this.timings.v1Request / 1000)} s of $ota: check that its ota.host/ota.port/ota.path point at ${this.engine.otaUrl}`);
      }
      return;
    }
    if (device && device.state !== 'ready') {
      // the device's connection broke mid-transfer (a broker restart, Wi-Fi, power): homie-esp8266 drops
      // an unfinished update then, so see what it runs when it is back rather than wait for a time-out
      const pct = percent(job) ?? 0;
      this.#put(transition(job, 'rebooting', now, `the device went offline at ${pct}% of the transfer: waiting to see what it runs`, {flashedAt: now, sawReboot: true, cutAt: pct}));
      return;
    }
    if (job.state === 'sending' && now - job.sentAt > this.timings.pushAnswer) {
      this.#finish(job, 'failed', `no answer to the push within ${Math.round(this.timings.pushAnswer / 1000)} s: the device ignored it (homie-esp8266 older than 2.0? a broker message size limit below ${job.firmware.size} bytes?)`);
      return;
    }
    if (job.state === 'flashing' && job.progress && now - job.progress.lastAt > this.timings.progressStall) {
      const pct = percent(job) ?? 0;
      if (device && runsTarget(device, job)) {
        // its last statuses were lost (our own broker connection broke), but it runs the new version
        this.#finish(job, 'done', `back and running ${job.firmware.name} ${job.firmware.version} (its last statuses were not received)`);
      } else if (this.engine.mqtt.status.connects > (this.#connectsAtSend.get(job.id) ?? Infinity)) {
        this.#finish(job, 'failed', `the transfer stopped at ${pct}% while the connection to the broker broke (a broker restart?); the device still runs ${device ? fw(device) : 'its old firmware'}: retry the job`);
      } else {
        this.#finish(job, 'failed', `progress stalled at ${pct}% for ${Math.round(this.timings.progressStall / 1000)} s`);
      }
    }
  }

  #checkReturn(job: Job, device: DeviceRecord | undefined, now: number): void {
    const since = job.flashedAt ?? job.updatedAt;
    if (!device) {
      if (now - since > this.timings.reboot) this.#finish(job, 'failed', 'the device disappeared from the inventory after flashing');
      return;
    }
    if (device.state !== 'ready') {
      if (!job.sawReboot) this.#put({...job, sawReboot: true}, false);
      if (job.state === 'rebooting' && now - since > this.timings.reboot) {
        this.#finish(job, 'failed', `did not come back within ${Math.round(this.timings.reboot / 1000)} s after flashing (last state: ${device.state})`);
      }
      return;
    }
    const target = job.firmware;
    if (job.state === 'verifying' && job.recheckAt) {
      if (!runsTarget(device, job) && job.sawReboot) {
        this.#finish(job, 'failed', `rolled back: the device now runs ${fw(device)} again`);
      } else if (now >= job.recheckAt && runsTarget(device, job)) {
        this.#finish(job, 'done', `still running ${target.name} ${target.version} ${Math.round((now - (job.flashedAt ?? now)) / 1000)} s later`);
      }
      return;
    }
    if (runsTarget(device, job)) {
      const checksumNote = device.fw.checksum && device.fw.checksum !== target.md5 ? ' (its $fw/checksum differs from the file MD5, which ESP8266 cores ≥ 2.4.2 cause; the version is what counts)' : '';
      if (device.implementation?.toLowerCase().startsWith('esp32') && this.timings.esp32Recheck > 0) {
        this.#put(transition(job, 'verifying', now, `back on ${target.name} ${target.version}${checksumNote}; ESP32: checking again in ${Math.round(this.timings.esp32Recheck / 1000)} s for a silent rollback`, {
          recheckAt: now + this.timings.esp32Recheck,
          sawReboot: false,
        }));
      } else {
        this.#finish(job, 'done', `back and running ${target.name} ${target.version}${checksumNote}`);
      }
      return;
    }
    if (!job.sawReboot) {
      if (now - since > this.timings.reboot) {
        this.#finish(job, 'failed', job.resumed
          ? `homie-ota was restarted during the transfer and the device did not install the firmware: it still runs ${fw(device)}; retry the job`
          : `the device never rebooted after flashing; it still runs ${fw(device)}`);
      }
      return;
    }
    // back, but on another version: give its attributes a moment (Homie 1.5 sends $online before $fwversion)
    if (job.state !== 'verifying') {
      this.#put(transition(job, 'verifying', now, `back, reporting ${fw(device)}; waiting for its attributes to settle`));
    } else if (now - job.updatedAt > this.timings.verifyGrace) {
      this.#finish(job, 'failed', job.cutAt !== undefined
        ? `the transfer was cut at ${job.cutAt}% when the device went offline (a broker restart, Wi-Fi or power); it came back still running ${fw(device)}, nothing was installed: retry the job`
        : `came back running ${fw(device)}, not ${target.name} ${target.version} (the new image was rejected or rolled back)`);
    }
  }

  /**
   * The wall clock jumped by `delta`: move the times the open jobs count their waits from, so no
   * timeout fires because of the jump and none waits an hour longer (timeline entries keep their times).
   */
  #clockJumped(delta: number): void {
    const move = (time: number | undefined) => (time === undefined ? undefined : time + delta);
    for (const job of this.#jobs.values()) {
      if (isFinal(job)) continue;
      this.#jobs.set(job.id, {
        ...job, updatedAt: job.updatedAt + delta, sentAt: move(job.sentAt), acceptedAt: move(job.acceptedAt), flashedAt: move(job.flashedAt),
        recheckAt: move(job.recheckAt), ...(job.progress ? {progress: {...job.progress, firstAt: job.progress.firstAt + delta, lastAt: job.progress.lastAt + delta}} : {}),
      });
    }
    this.#lastEventAt.clear();
    this.#changed();
  }

  // ---- MQTT status ------------------------------------------------------------------------------

  #onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (!topic.endsWith('/$implementation/ota/status')) return;
    // retained copies are replays (old 200s after restarts), never answers to our push
    if (packet.retain) return;
    const deviceKey = topic.slice(0, -'/$implementation/ota/status'.length);
    const job = this.activeJobFor(deviceKey);
    if (!job || job.method !== 'mqtt-push' || !job.sentAt) return;
    if (job.state !== 'sending' && job.state !== 'flashing' && !(job.state === 'rebooting' && job.resumed)) return;
    const status = parsePushStatus(payload.toString('utf8'));
    if (!status) {
      this.log.debug(() => `${deviceKey}: unreadable OTA status`);
      return;
    }
    this.#onStatus(job, status);
  }

  #onStatus(job: Job, status: ReturnType<typeof parsePushStatus> & object): void {
    const now = this.engine.now();
    switch (status.code) {
      case 202:
        if (job.state === 'sending') this.#put(transition(job, 'flashing', now, 'the device accepted the image (202)', {acceptedAt: now, progress: {done: 0, total: job.firmware.size, firstAt: now, lastAt: now}}));
        break;
      case 206: {
        const s = status as {done: number; total: number};
        const base = job.state === 'sending' || job.state === 'rebooting'
          ? transition(job, 'flashing', now, job.state === 'rebooting' ? 'still flashing after the restart' : 'flashing', {acceptedAt: job.acceptedAt ?? now, resumed: false})
          : job;
        const firstAt = base.progress && base.progress.done > 0 ? base.progress.firstAt : now;
        this.#put({...base, updatedAt: now, progress: {done: s.done, total: s.total, firstAt, lastAt: now}}, base !== job);
        break;
      }
      case 200:
        if (job.state === 'sending') {
          // homie-esp8266 always says 202 before 200: a bare 200 is a stale status of an earlier update.
          // If it was real after all, the device reboots and the reboot check finds out what it runs.
          this.#put(annotate(job, now, 'ignored a 200 that came before any 202/206 (stale status of an earlier update?)'), false);
          break;
        }
        this.#put(transition(job, 'rebooting', now, 'flashed (200); waiting for the device to reboot and report its version', {
          flashedAt: now,
          resumed: false,
          progress: job.progress ? {...job.progress, done: job.progress.total, lastAt: now} : undefined,
        }));
        break;
      case 304:
        this.#finish(job, 'skipped', explainPushStatus(status));
        break;
      default:
        this.#finish(job, 'failed', explainPushStatus(status));
    }
  }

  // ---- HTTP pull hooks (pull-endpoint.ts) --------------------------------------------------------

  /** The device downloads its Homie 1.x job's image: note it (and the progress). */
  noteDownload(jobId: string, done: number, total: number, finished: boolean, error?: string): void {
    const job = this.#jobs.get(jobId);
    if (!job || isFinal(job)) return;
    const now = this.engine.now();
    if (error) {
      this.#finish(job, 'failed', error);
      return;
    }
    if (finished) {
      this.#put(transition(job, 'rebooting', now, `downloaded ${total} bytes; waiting for the device to reboot and report its version`, {
        flashedAt: now, sawReboot: true, progress: {done: total, total, firstAt: job.progress?.firstAt ?? now, lastAt: now},
      }));
      return;
    }
    const base = job.state === 'sending' && !job.acceptedAt ? transition(job, 'flashing', now, 'the device is downloading the image', {acceptedAt: now}) : job;
    const firstAt = base.progress && base.progress.done > 0 ? base.progress.firstAt : now;
    this.#put({...base, updatedAt: now, progress: {done, total, firstAt, lastAt: now}}, base !== job);
  }

  /** A Homie 1.x device that has a job and asks for `target`: its job, if the target matches. */
  v1JobFor(deviceKey: string, target: string | undefined): Job | undefined {
    const job = this.activeJobFor(deviceKey);
    if (!job || job.method !== 'v1-ota' || (job.state !== 'sending' && job.state !== 'flashing')) return undefined;
    const payload = this.v1Payloads.get(job.id) ?? v1OtaPayload(job.firmware.name, job.firmware.version);
    if (target !== undefined && target !== payload && target !== job.firmware.version) return undefined;
    return job;
  }

  /** Fail a job with a reason (e.g. the image does not fit the free space the device reported). */
  failJob(jobId: string, reason: string): void {
    const job = this.#jobs.get(jobId);
    if (job && !isFinal(job)) this.#finish(job, 'failed', reason);
  }

  // ---- bookkeeping ------------------------------------------------------------------------------

  #newJob(device: DeviceRecord, firmware: FirmwareRecord, method: Job['method'], now: number, rolloutId?: string): Job {
    const jobFirmware: JobFirmware = {name: firmware.name, version: firmware.version, file: firmware.file, md5: firmware.md5, size: firmware.size, chip: firmware.chip, gzip: firmware.gzip};
    return {
      id: `j-${this.#nextId++}`,
      deviceKey: device.key,
      deviceId: device.id,
      firmware: jobFirmware,
      method,
      state: 'queued',
      createdAt: now,
      updatedAt: now,
      attempt: 1,
      from: {name: device.fw.name, version: device.fw.version, checksum: device.fw.checksum},
      ...(rolloutId ? {rolloutId} : {}),
      timeline: [{time: now, state: 'queued', note: `${method === 'mqtt-push' ? 'MQTT push' : 'Homie 1.x $ota + HTTP download'}; the device runs ${fw(device)}`}],
    };
  }

  /** Store a job change; `announce` logs it and publishes the event (progress-only changes do not). */
  #put(job: Job, announce = true): void {
    this.#jobs.set(job.id, job);
    if (announce) {
      this.log.info(describeJob(job));
      this.#book.touched(job);
    }
    this.#publishEvent(job, announce);
    this.#changed();
  }

  #finish(job: Job, state: 'done' | 'failed' | 'cancelled' | 'skipped', note: string): void {
    const now = this.engine.now();
    const finished = transition(job, state, now, note, state === 'done' ? {result: note} : {});
    this.#put(finished);
    this.#book.tally(finished, state, 1);
    this.v1Payloads.delete(job.id);
    this.#connectsAtSend.delete(job.id);
    this.#record(finished, state, note);
    const level = state === 'failed' ? 'error' : 'info';
    if (state === 'done' || state === 'failed') this.engine.notice('ota', level, `${job.deviceId}: ${state === 'done' ? 'updated to' : 'update to'} ${job.firmware.name} ${job.firmware.version} ${state === 'done' ? '✓' : `failed: ${note}`}`);
    this.#trimDue = true;
  }

  #record(job: Job, result: HistoryEntry['result'], note: string): void {
    if (!FINAL_STATES.has(job.state) && result !== 'skipped') return;
    const entry: HistoryEntry = {
      jobId: job.id,
      time: this.engine.now(),
      from: [job.from.name, job.from.version].filter(Boolean).join(' ') || 'unknown',
      to: `${job.firmware.name} ${job.firmware.version}`,
      result,
      durationMs: job.sentAt ? Math.max(0, this.engine.now() - job.sentAt) : undefined,
      ...(result === 'failed' || result === 'skipped' ? {error: note} : {}),
    };
    const list = [entry, ...(this.#history.get(job.deviceKey) ?? [])].slice(0, HISTORY_PER_DEVICE);
    this.#history.set(job.deviceKey, list);
    if (result === 'skipped' && !this.#jobs.has(job.id)) {
      this.#jobs.set(job.id, transition(job, 'skipped', this.engine.now(), note));
      // skipped requests are finished jobs too: without this they piled up past FINISHED_JOBS_KEPT
      this.#trimDue = true;
    }
    this.#changed();
  }

  /** Keep the newest FINISHED_JOBS_KEPT finished jobs; once per tick, not per job (that was quadratic). */
  #trimFinished(): void {
    this.#trimDue = false;
    const finished = [...this.#jobs.values()].filter(isFinal);
    for (const job of finished.slice(0, Math.max(0, finished.length - FINISHED_JOBS_KEPT))) this.#jobs.delete(job.id);
  }

  #publishEvent(job: Job, stateChanged: boolean): void {
    const now = this.engine.now();
    if (!stateChanged && now - (this.#lastEventAt.get(job.id) ?? 0) < 1000) return;
    this.#lastEventAt.set(job.id, now);
    if (isFinal(job)) this.#lastEventAt.delete(job.id);
    const event = {
      id: job.id, device: job.deviceId, deviceKey: job.deviceKey, firmware: `${job.firmware.name}@${job.firmware.version}`,
      state: job.state, progress: job.progress ? {done: job.progress.done, total: job.progress.total} : null,
      error: job.error ?? null, rollout: job.rolloutId ?? null, time: new Date(now).toISOString(),
    };
    this.#events.send(`${this.engine.config.mqtt.eventsTopic}/jobs/${job.id}`, JSON.stringify(event));
  }

  #inUse(record: FirmwareRecord): string | null {
    for (const job of this.#jobs.values()) {
      if (!isFinal(job) && job.firmware.name === record.name && job.firmware.version === record.version) {
        return `job ${job.id} for ${job.deviceId} (${job.state}) uses it; cancel the job first`;
      }
    }
    return null;
  }

  #revision = 0;

  /** rises with every change of jobs, rollouts or history (the dashboard store compares it) */
  get revision(): number {
    return this.#revision;
  }

  #changed(): void {
    this.#revision++;
    this.engine.bus.emit('jobs');
    if (!this.#started || this.#saveTimer || this.engine.readonly) return;
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = null;
      this.#saveNow().catch(() => {});
    }, 500);
    this.#saveTimer.unref();
  }

  /** Write jobs.json now, after the write already running; a failure is reported once, not per change. */
  #saveNow(): Promise<void> {
    const run = this.#saving.then(async () => {
      try {
        await saveJobsFile(this.file, this.#snapshotFile());
        if (this.#saveProblem) this.engine.notice('ota', 'info', `${path.basename(this.file)} is written again`);
        this.#saveProblem = null;
      } catch (error) {
        const problem = `cannot save ${this.file}: ${(error as Error).message}; jobs go on in memory and saving is retried with the next change (check free space and permissions of OTA_FIRMWARE_ROOT)`;
        if (problem !== this.#saveProblem) this.engine.notice('ota', 'error', problem);
        this.#saveProblem = problem;
        throw error;
      }
    });
    this.#saving = run.catch(() => {});
    return run;
  }

  #snapshotFile(): JobsFile {
    return {nextId: this.#nextId, jobs: [...this.#jobs.values()], rollouts: [...this.#book.list()], history: Object.fromEntries(this.#history)};
  }

  /** Load jobs.json and reconcile what a crash or restart left in the middle. */
  #restore(data: JobsFile): void {
    const now = this.engine.now();
    this.#nextId = Math.max(data.nextId, 1);
    this.#book.restore(data.rollouts, data.jobs);
    this.#history = new Map(Object.entries(data.history).map(([k, v]) => [k, [...v]]));
    this.#jobs = new Map();
    let reconciled = 0;
    for (const job of data.jobs) {
      if (job.state === 'sending' || job.state === 'flashing') {
        // never re-send blindly: find out what the device runs when it is next back
        // the device may still be flashing (its 206s tell), have finished (it reboots), or have
        // dropped the transfer (it never reboots: the reboot timeout says so)
        this.#jobs.set(job.id, transition(job, 'rebooting', now, 'homie-ota restarted during the transfer; watching what the device does next', {flashedAt: now, sawReboot: false, resumed: true}));
        reconciled++;
      } else if (job.state === 'rebooting' || job.state === 'verifying') {
        this.#jobs.set(job.id, annotate(job, now, 'homie-ota restarted; still verifying', {flashedAt: now, ...(job.recheckAt ? {recheckAt: Math.max(job.recheckAt, now)} : {})}));
        reconciled++;
      } else {
        this.#jobs.set(job.id, job);
      }
    }
    if (data !== EMPTY_JOBS_FILE) {
      const open = [...this.#jobs.values()].filter(j => !isFinal(j)).length;
      this.log.info(`loaded ${this.#jobs.size} job(s) from ${path.basename(this.file)}: ${open} open${reconciled ? `, ${reconciled} to reconcile after the restart` : ''}`);
    }
  }
}

function runsTarget(device: DeviceRecord, job: Job): boolean {
  return device.fw.name === job.firmware.name && device.fw.version === job.firmware.version;
}

function fw(device: DeviceRecord): string {
  return [device.fw.name, device.fw.version].filter(Boolean).join(' ') || 'an unknown firmware';
}
