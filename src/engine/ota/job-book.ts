import path from 'node:path';
import type {FirmwareRecord} from '../firmware/store.js';
import type {DeviceRecord} from '../inventory/inventory.js';
import type {Log} from '../log.js';
import {FINAL_STATES, isFinal, transition, type Job, type JobFirmware} from './job.js';
import {EMPTY_JOBS_FILE, FINISHED_JOBS_KEPT, HISTORY_PER_DEVICE, loadJobsFile, saveJobsFile, saveJobsFileSync, type JobsFile, type StoredRollout} from './jobs-file.js';
import {fw, reconcile, shiftTimes} from './step.js';
import type {HistoryEntry} from './types.js';

/** What the job book needs around it. */
export interface JobBookHost {
  now(): number;
  notice(level: 'info' | 'warn' | 'error', text: string): void;
  readonly log: Log;
  /** --readonly: jobs.json is read, never written */
  readonly readonly: boolean;
  /** jobs, rollouts or history changed (the dashboard redraws) */
  changed(): void;
}

/**
 * The jobs, each device's OTA history and the id counter, kept in <firmware root>/jobs.json: loaded at
 * start (what a restart left in the middle reconciled), written half a second after a change, one
 * write after the other, and once more, synchronously, at stop.
 */
export class JobBook {
  readonly file: string;
  #jobs = new Map<string, Job>();
  #history = new Map<string, HistoryEntry[]>();
  #nextId = 1;
  #revision = 0;
  #trimDue = false;
  #saveTimer: NodeJS.Timeout | null = null;
  /** the jobs.json write in progress: writes run one after the other, so an older one never lands last */
  #saving: Promise<void> = Promise.resolve();
  #saveProblem: string | null = null;
  /** loaded and not closed: changes are saved */
  #open = false;
  /** the rollouts saved beside the jobs */
  #storedRollouts: () => readonly StoredRollout[] = () => [];

  constructor(firmwareRoot: string, private readonly host: JobBookHost) {
    this.file = path.join(firmwareRoot, 'jobs.json');
  }

  // ---- reading ----------------------------------------------------------------------------------

  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  has(id: string): boolean {
    return this.#jobs.has(id);
  }

  ids(): string[] {
    return [...this.#jobs.keys()];
  }

  values(): IterableIterator<Job> {
    return this.#jobs.values();
  }

  /** Every job kept, oldest first. */
  list(): readonly Job[] {
    return [...this.#jobs.values()];
  }

  /** The job that is not finished for a device, if any. */
  activeJobFor(deviceKey: string): Job | undefined {
    for (const job of this.#jobs.values()) if (job.deviceKey === deviceKey && !isFinal(job)) return job;
    return undefined;
  }

  historyFor(deviceKey: string): readonly HistoryEntry[] {
    return this.#history.get(deviceKey) ?? [];
  }

  /** rises with every change of jobs, rollouts or history (the dashboard store compares it) */
  get revision(): number {
    return this.#revision;
  }

  /** Why a firmware file may not be deleted (an open job uses it), or null. */
  inUse(record: FirmwareRecord): string | null {
    for (const job of this.#jobs.values()) {
      if (!isFinal(job) && job.firmware.name === record.name && job.firmware.version === record.version) {
        return `job ${job.id} for ${job.deviceId} (${job.state}) uses it; cancel the job first`;
      }
    }
    return null;
  }

  // ---- changing ---------------------------------------------------------------------------------

  set(job: Job): void {
    this.#jobs.set(job.id, job);
  }

  newRolloutId(): string {
    return `r-${this.#nextId++}`;
  }

  /** A queued job for `device`, its first timeline line saying how it will be delivered. */
  newJob(device: DeviceRecord, firmware: FirmwareRecord, method: Job['method'], now: number, rolloutId?: string): Job {
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

  /** A line in the device's history for a job that ended (or a request skipped as up to date). */
  record(job: Job, result: HistoryEntry['result'], note: string): void {
    if (!FINAL_STATES.has(job.state) && result !== 'skipped') return;
    const now = this.host.now();
    const entry: HistoryEntry = {
      jobId: job.id,
      time: now,
      from: [job.from.name, job.from.version].filter(Boolean).join(' ') || 'unknown',
      to: `${job.firmware.name} ${job.firmware.version}`,
      result,
      durationMs: job.sentAt ? Math.max(0, now - job.sentAt) : undefined,
      ...(result === 'failed' || result === 'skipped' ? {error: note} : {}),
    };
    const list = [entry, ...(this.#history.get(job.deviceKey) ?? [])].slice(0, HISTORY_PER_DEVICE);
    this.#history.set(job.deviceKey, list);
    if (result === 'skipped' && !this.#jobs.has(job.id)) {
      this.#jobs.set(job.id, transition(job, 'skipped', now, note));
      // skipped requests are finished jobs too: without this they piled up past FINISHED_JOBS_KEPT
      this.#trimDue = true;
    }
    this.changed();
  }

  /** A job finished: the finished ones are trimmed at the next `trimIfDue`. */
  finished(): void {
    this.#trimDue = true;
  }

  /** Keep the newest FINISHED_JOBS_KEPT finished jobs; once per tick, not per job (that was quadratic). */
  trimIfDue(): void {
    if (!this.#trimDue) return;
    this.#trimDue = false;
    const finished = [...this.#jobs.values()].filter(isFinal);
    for (const job of finished.slice(0, Math.max(0, finished.length - FINISHED_JOBS_KEPT))) this.#jobs.delete(job.id);
  }

  /** The wall clock jumped: move the open jobs' waits with it. */
  shiftOpen(delta: number): void {
    for (const job of this.#jobs.values()) if (!isFinal(job)) this.#jobs.set(job.id, shiftTimes(job, delta));
    this.changed();
  }

  /** Something changed: redraw, and save half a second later (one write for a burst of changes). */
  changed(): void {
    this.#revision++;
    this.host.changed();
    if (!this.#open || this.#saveTimer || this.host.readonly) return;
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = null;
      this.saveNow().catch(() => {});
    }, 500);
    this.#saveTimer.unref();
  }

  // ---- jobs.json --------------------------------------------------------------------------------

  /** Load jobs.json and reconcile what a crash or restart left in the middle; saving starts. */
  load(rollouts: () => readonly StoredRollout[]): JobsFile {
    this.#storedRollouts = rollouts;
    const now = this.host.now();
    const loaded = loadJobsFile(this.file, now, {readonly: this.host.readonly});
    if (loaded.problem) this.host.notice('error', loaded.problem);
    if (loaded.trimmed) this.host.notice('warn', loaded.trimmed);
    const data = loaded.data;
    this.#nextId = Math.max(data.nextId, 1);
    this.#history = new Map(Object.entries(data.history).map(([k, v]) => [k, [...v]]));
    this.#jobs = new Map();
    let reconciled = 0;
    for (const job of data.jobs) {
      const restored = reconcile(job, now);
      if (restored !== job) reconciled++;
      this.#jobs.set(job.id, restored);
    }
    if (data !== EMPTY_JOBS_FILE) {
      const open = [...this.#jobs.values()].filter(j => !isFinal(j)).length;
      this.host.log.info(`loaded ${this.#jobs.size} job(s) from ${path.basename(this.file)}: ${open} open${reconciled ? `, ${reconciled} to reconcile after the restart` : ''}`);
    }
    this.#open = true;
    return data;
  }

  /** Write jobs.json now, after the write already running; a failure is reported once, not per change. */
  saveNow(): Promise<void> {
    const run = this.#saving.then(async () => {
      try {
        await saveJobsFile(this.file, this.#snapshot());
        if (this.#saveProblem) this.host.notice('info', `${path.basename(this.file)} is written again`);
        this.#saveProblem = null;
      } catch (error) {
        const problem = `cannot save ${this.file}: ${(error as Error).message}; jobs go on in memory and saving is retried with the next change (check free space and permissions of OTA_FIRMWARE_ROOT)`;
        if (problem !== this.#saveProblem) this.host.notice('error', problem);
        this.#saveProblem = problem;
        throw error;
      }
    });
    this.#saving = run.catch(() => {});
    return run;
  }

  /** Stop saving later; wait for the write in progress and write the last state (not with --readonly). */
  async close(): Promise<void> {
    this.#open = false;
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    await this.#saving;
    // --readonly writes nothing: a viewer beside the running instance must not write its copy over jobs.json
    if (this.host.readonly) return;
    try {
      saveJobsFileSync(this.file, this.#snapshot());
    } catch (error) {
      this.host.log.error(`cannot save ${this.file}: ${(error as Error).message}`);
    }
  }

  #snapshot(): JobsFile {
    return {nextId: this.#nextId, jobs: [...this.#jobs.values()], rollouts: [...this.#storedRollouts()], history: Object.fromEntries(this.#history)};
  }
}
