import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type {Log} from '../log.js';
import {compareVersions} from '../util/version.js';
import {humanBytes, printable} from '../util/text.js';
import {MetadataCache} from './cache.js';
import {descriptionFileName} from './file-name.js';
import type {FilingContext} from './filing.js';
import {DEFAULT_MAX_INFLATED} from './identify.js';
import {compareRecords, type FirmwareRecord} from './records.js';
import {FolderScanner} from './scanner.js';
import type {DropStatus} from './settle.js';
import {FolderWatcher} from './watcher.js';
import {startBuildWatch, type BuildWatch} from './build-watch.js';
import type {Identification} from './identify.js';
import {ingestUpload, type UploadResult} from './ingest-upload.js';
import {openRegularSync} from '../util/safe-file.js';
import {keepUnchanged, readChecked, writeDescription, storedOrOnDisk} from './store-files.js';
import type {ChangeResult, FiledListener, FiledVia, Outcome, StoreTuning} from './store-types.js';

export type {FirmwareRecord} from './records.js';
export type {DropStatus} from './settle.js';
export type {UploadResult} from './ingest-upload.js';
export type {ChangeResult, FiledEvent, FiledListener, FiledVia, Outcome, StoreTuning} from './store-types.js';

const DESCRIPTION_MAX = 1000;


/** What the store needs from homie-ota's settings. */
export interface FirmwareSettings {
  /** OTA_FIRMWARE_ROOT */
  readonly firmwareRoot: string;
  /** --readonly: nothing in the folder is changed */
  readonly readonly: boolean;
  /** OTA_WATCH: dropped files are identified and filed */
  readonly watch: boolean;
  /** OTA_UPLOAD_LIMIT in bytes */
  readonly uploadLimit: number;
  /** WATCH: build output patterns copied into the store */
  readonly watchGlobs?: readonly string[];
}

/** Everything the store is given; the engine's composition builds it. */
export interface FirmwareStoreDeps {
  readonly settings: FirmwareSettings;
  readonly log: Log;
  /** wall time in ms */
  readonly now: () => number;
  /** an outcome the user must see (the Log view, the log file, the headless output) */
  readonly notice: (level: Outcome['level'], text: string) => void;
  /** the listing or the files waiting in the folder changed */
  readonly changed: () => void;
}

/**
 * The firmware store: `<OTA_FIRMWARE_ROOT>/<name>-<version>.bin` files with optional `.txt`
 * descriptions, as the original laid them out, plus a watched drop folder (the same folder: any other
 * .bin or .gz put there is identified and filed) and the upload and management HTTP routes.
 * Every change to the folder goes through one lock, so drops, uploads and deletes never interleave.
 */
export class FirmwareStore {
  readonly name = 'firmware store';
  readonly #deps: FirmwareStoreDeps;
  readonly #settings: FirmwareSettings;
  readonly #log: Log;
  #records = new Map<string, FirmwareRecord>();
  #list: readonly FirmwareRecord[] = [];
  #outcomes: Outcome[] = [];
  #lock: Promise<unknown> = Promise.resolve();
  #inUse: ((record: FirmwareRecord) => string | null) | null = null;
  #tuning: StoreTuning = {stableMs: 2000, rejectAfterMs: 30_000, rescanMs: 30_000, fsWatch: true, maxInflated: DEFAULT_MAX_INFLATED};
  #cache: MetadataCache | null = null;
  #scanner: FolderScanner | null = null;
  #watcher: FolderWatcher | null = null;
  #lastDrops = '[]';
  #queuedScan: Promise<void> | null = null;
  #scanError: string | null = null;
  #builds: BuildWatch | null = null;
  #filed: FiledListener = () => {};

  constructor(deps: FirmwareStoreDeps) {
    this.#deps = deps;
    this.#settings = deps.settings;
    this.#log = deps.log;
  }

  get root(): string {
    return this.#settings.firmwareRoot;
  }

  get readonly(): boolean {
    return this.#settings.readonly;
  }

  get uploadLimit(): number {
    return this.#settings.uploadLimit;
  }

  /** The wall clock jumped: files settling in the folder keep their remaining wait. */
  clockJumped(deltaMs: number): void {
    this.#scanner?.tracker.shift(deltaMs);
  }

  /** Change the folder timings (before start). */
  tune(tuning: Partial<StoreTuning>): void {
    this.#tuning = {...this.#tuning, ...tuning};
  }

  async start(): Promise<void> {
    const cache = new MetadataCache(this.root);
    const problem = await cache.load();
    if (problem) this.#log.warn(problem);
    this.#cache = cache;
    this.#scanner = new FolderScanner({
      root: this.root,
      readonly: this.#settings.readonly,
      fileDrops: this.#settings.watch,
      uploadLimit: this.#settings.uploadLimit,
      maxInflated: this.#tuning.maxInflated,
      stableMs: this.#tuning.stableMs,
      rejectAfterMs: this.#tuning.rejectAfterMs,
      cache,
      filing: this.#filing,
      log: this.#log,
      now: () => this.#deps.now(),
      outcome: (level, text) => this.#outcome(level, text),
      filed: (file, source) => this.#filed({file, via: 'drop', source}),
    });
    await this.rescan(true);
    // files copied in just before the start are still settling: give them their few seconds now, so
    // the count below is what is really in the store (it said 0 on a first start with fresh files)
    const copying = () => this.#scanner!.drops().filter(d => d.state === 'copying');
    const due = Math.max(0, ...copying().map(d => d.since + this.#tuning.stableMs)) - this.#deps.now();
    if (copying().length > 0 && due <= this.#tuning.stableMs) {
      await new Promise(resolve => setTimeout(resolve, due + 50));
      await this.rescan(true);
    }
    const settling = copying().length;
    this.#log.info(`${this.#list.length} firmware file(s) in ${this.root}${settling ? ` (${settling} more still being written: filed when complete)` : ''}; upload limit ${humanBytes(this.#settings.uploadLimit)} (OTA_UPLOAD_LIMIT)${this.#settings.watch ? '; watching it for dropped binaries' : ''}`);
    if (this.#settings.watch) {
      this.#watcher = new FolderWatcher(this.root, {rescanMs: this.#tuning.rescanMs, fsWatch: this.#tuning.fsWatch, now: () => this.#deps.now()}, () => void this.#backgroundScan(), this.#log);
      this.#watcher.start();
      // files that were still settling at the first scan get their second look
      this.#watcher.wakeAt(this.#scanner.tracker.nextDue());
    }
    this.#builds = startBuildWatch(this.#settings.watchGlobs ?? [], {
      ...this.#settings, maxInflated: this.#tuning.maxInflated, stableMs: this.#tuning.stableMs, rescanMs: this.#tuning.watchRescanMs ?? 5000,
      root: this.root, filing: this.#filing, log: this.#log, now: () => this.#deps.now(), exclusive: task => this.#exclusive(task),
      commit: (record, ident, source) => this.#commit(record, ident, 'watch', source), outcome: (level, text) => this.#outcome(level, text), changed: () => this.#deps.changed(),
    });
  }

  /** WATCH: what the patterns match and what became of each file (null without WATCH). */
  get builds(): BuildWatch | null {
    return this.#builds;
  }

  async stop(): Promise<void> {
    this.#watcher?.stop();
    this.#watcher = null;
    await this.#builds?.stop();
    await this.#exclusive(() => this.#saveCache());
  }

  // ---- reading ----

  /** Every stored firmware, by name and newest version first. The same array until something changes. */
  list(): readonly FirmwareRecord[] {
    return this.#list;
  }

  find(name: string, version: string): FirmwareRecord | undefined {
    return this.#list.find(r => r.name === name && r.version === version);
  }

  /** The newest stored version of a firmware name (compareVersions order). */
  newest(name: string): FirmwareRecord | undefined {
    let best: FirmwareRecord | undefined;
    for (const r of this.#list) if (r.name === name && (!best || compareVersions(r.version, best.version) > 0)) best = r;
    return best;
  }

  /** The firmware with this MD5 (of the file, or for gzip files also of the inflated image). */
  byMd5(md5: string): FirmwareRecord | undefined {
    const wanted = md5.toLowerCase();
    return this.#list.find(r => r.md5 === wanted) ?? this.#list.find(r => r.imageMd5 === wanted);
  }

  byFile(file: string): FirmwareRecord | undefined {
    return this.#records.get(file);
  }

  /** Absolute path of a record's file. */
  pathOf(record: FirmwareRecord): string {
    return path.join(this.root, record.file);
  }

  /** A stream of the file, for serving it (throws when something else than a regular file took its name). */
  open(record: FirmwareRecord): fs.ReadStream {
    return fs.createReadStream(this.pathOf(record), {fd: openRegularSync(this.pathOf(record))});
  }

  /**
   * The whole file, checked against the recorded MD5 (for an MQTT push, which sends it in one
   * message). Never throws: null when it cannot be read or changed on disk, and the reason is logged
   * and shown; readChecked() gives the reason to the caller instead.
   */
  async read(record: FirmwareRecord): Promise<Buffer | null> {
    const result = await this.readChecked(record);
    if (result.ok) return result.data;
    this.#outcome('error', result.reason);
    return null;
  }

  async readChecked(record: FirmwareRecord): Promise<{ok: true; data: Buffer} | {ok: false; reason: string}> {
    const result = await readChecked(this.pathOf(record), record);
    if (result.ok) return result;
    // changed on disk: identify it again
    if (result.changed) void this.#backgroundScan();
    return {ok: false, reason: result.reason};
  }

  /** Drops that are still being copied, wait, or are left alone (read-only mode). */
  drops(): DropStatus[] {
    return this.#scanner?.drops() ?? [];
  }

  /** Recent outcomes of drops, uploads, deletes and rejections, newest last. */
  outcomes(): readonly Outcome[] {
    return this.#outcomes;
  }

  // ---- changing ----

  /** Who is told of files filed while homie-ota runs (drop, upload, watch): the automatic rollouts. */
  onFiled(listener: FiledListener): void {
    this.#filed = listener;
  }

  /** The OTA queue registers a check: delete is refused with its reason while a job uses the firmware. */
  setInUseCheck(check: ((record: FirmwareRecord) => string | null) | null): void {
    this.#inUse = check;
  }

  /** Why this firmware cannot be deleted now, or null. */
  deleteRefusal(record: FirmwareRecord): string | null {
    if (this.#settings.readonly) return 'read-only mode (--readonly): firmware cannot be deleted';
    try {
      return this.#inUse?.(record) ?? null;
    } catch (error) {
      return `cannot tell whether a job uses it (${(error as Error).message})`;
    }
  }

  /**
   * Look at the folder now (the watcher calls this; so can tests and a manual refresh). Calls that
   * come while a scan is waiting for its turn share that scan: a burst of events costs one pass.
   */
  rescan(initial = false): Promise<void> {
    if (this.#queuedScan && !initial) return this.#queuedScan;
    const scan = this.#exclusive(async () => {
      if (this.#queuedScan === scan) this.#queuedScan = null;
      if (!this.#scanner) return;
      const records = await this.#scanner.scan(initial);
      const drops = JSON.stringify(this.#scanner.drops());
      const dropsChanged = drops !== this.#lastDrops;
      this.#lastDrops = drops;
      // a file waiting in the folder is news for the view even when no record changed
      if (!this.#replace(records) && dropsChanged) this.#deps.changed();
      await this.#saveCache();
      this.#watcher?.wakeAt(this.#scanner.tracker.nextDue());
    });
    this.#queuedScan = scan;
    scan.catch(() => {}).finally(() => {
      if (this.#queuedScan === scan) this.#queuedScan = null;
    });
    return scan;
  }

  async delete(name: string, version: string): Promise<ChangeResult> {
    return this.#exclusive(async () => {
      const record = this.find(name, version);
      if (!record) return {ok: false, status: 404, message: `no firmware ${printable(name)} ${printable(version)} in the store`} as const;
      const refusal = this.deleteRefusal(record);
      if (refusal) return {ok: false, status: this.#settings.readonly ? 403 : 409, message: `${record.file} was not deleted: ${refusal}`} as const;
      await fsp.unlink(this.pathOf(record)).catch(error => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      });
      await fsp.unlink(path.join(this.root, descriptionFileName(record.file))).catch(() => {});
      const next = new Map(this.#records);
      next.delete(record.file);
      this.#cache?.delete(record.file);
      this.#replace(next);
      await this.#saveCache();
      this.#outcome('info', `Deleted firmware ${record.file}`);
      return {ok: true, message: `Deleted firmware ${record.file}`} as const;
    });
  }

  /** Set (or, with an empty text, remove) the description: <name>-<version>.txt beside the .bin. */
  async setDescription(name: string, version: string, text: string): Promise<ChangeResult> {
    return this.#exclusive(async () => {
      if (this.#settings.readonly) return {ok: false, status: 403, message: 'read-only mode (--readonly): descriptions cannot be changed'} as const;
      const record = this.find(name, version);
      if (!record) return {ok: false, status: 404, message: `no firmware ${printable(name)} ${printable(version)} in the store`} as const;
      const description = text.trim().slice(0, DESCRIPTION_MAX);
      await this.#writeDescription(record.file, description);
      this.#replace(new Map(this.#records).set(record.file, {...record, description}));
      this.#log.info(`description of ${record.file} ${description ? 'set' : 'removed'}`);
      return {ok: true, message: description ? `Description of ${record.file} saved` : `Description of ${record.file} removed`} as const;
    });
  }

  /**
   * File an uploaded body (a temporary file inside the root). The temporary file is always gone
   * afterwards: moved into place, or removed.
   */
  async ingestUpload(temp: string, originalName: string, description: string): Promise<UploadResult> {
    return this.#exclusive(() => ingestUpload({
      root: this.root,
      uploadLimit: this.#settings.uploadLimit,
      maxInflated: this.#tuning.maxInflated,
      filing: this.#filing,
      listed: file => this.#records.has(file),
      now: () => this.#deps.now(),
      writeDescription: (file, text) => this.#writeDescription(file, text),
      commit: (record, ident) => this.#commit(record, ident, 'upload', originalName),
      outcome: (level, text) => this.#outcome(level, text),
    }, temp, originalName, description.trim().slice(0, DESCRIPTION_MAX)));
  }

  // ---- internals ----

  /** A record filed by upload or WATCH (with its identification when the file is new): cached, listed, announced. */
  async #commit(record: FirmwareRecord, ident: Identification | null, via: FiledVia, source: string): Promise<void> {
    if (ident) {
      const stat = await fsp.stat(this.pathOf(record));
      this.#cache?.set(record.file, {size: stat.size, mtimeMs: stat.mtimeMs, added: record.added, ident});
    }
    // told before the listing changes: whoever looks at the new listing knows how the file came
    if (ident) this.#filed({file: record.file, via, source});
    this.#replace(new Map(this.#records).set(record.file, record));
    await this.#saveCache();
  }

  /** A scan nobody waits for: a failure is logged once (not every 30 s), and the listing is kept. */
  async #backgroundScan(): Promise<void> {
    try {
      await this.rescan();
      this.#scanError = null;
    } catch (error) {
      const message = `cannot scan the firmware folder ${this.root}: ${(error as Error).message}; the list shows what was there before`;
      if (message !== this.#scanError) this.#log.warn(message);
      this.#scanError = message;
    }
  }

  /** How filing looks up what is already stored: the listing, or the disk for a file not listed yet. */
  get #filing(): FilingContext {
    return {
      root: this.root,
      existing: file => storedOrOnDisk(this.root, file, this.#records.get(file), this.#tuning.maxInflated, this.#deps.now),
    };
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(task, task);
    this.#lock = run.catch(() => {});
    return run;
  }

  #writeDescription(file: string, description: string): Promise<void> {
    return writeDescription(this.root, file, description);
  }

  async #saveCache(): Promise<void> {
    if (!this.#cache || this.#settings.readonly) return;
    try {
      await this.#cache.save();
    } catch (error) {
      this.#log.warn(`cannot save the firmware cache (${(error as Error).message}); files will be re-read at the next start`);
    }
  }

  /** Take a new set of records; keep unchanged record objects so the view does not redraw for nothing. */
  #replace(next: Map<string, FirmwareRecord>): boolean {
    const changed = keepUnchanged(this.#records, next);
    this.#records = next;
    if (!changed) return false;
    this.#list = [...next.values()].sort(compareRecords);
    this.#deps.changed();
    return true;
  }

  #outcome(level: Outcome['level'], text: string): void {
    this.#outcomes = [...this.#outcomes.slice(-49), {time: this.#deps.now(), level, text}];
    this.#deps.notice(level, text);
  }
}
