import fsp from 'node:fs/promises';
import path from 'node:path';
import type {Log} from '../log.js';
import {tempNameFor, STATE_FILE_MODE} from '../util/atomic.js';
import {kindOf, NotRegularFileError} from '../util/safe-file.js';
import {humanBytes, printable} from '../util/text.js';
import {moveNoReplace, readCapped, TargetExistsError} from './file-ops.js';
import {conflictReason, overLimit, summary, type FilingContext} from './filing.js';
import {identifyFirmware, type Identification} from './identify.js';
import {planFiling} from './plan.js';
import {makeRecord, type FirmwareRecord} from './records.js';
import {SettleTracker} from './settle.js';

/** One WATCH match as the Firmware view, GET /api/firmware and /healthz show it (plain data). */
export interface WatchedFile {
  readonly path: string;
  readonly size: number;
  /** copying: still changing; copied / identical: in the store; refused: same version, other content; not used: why in detail */
  readonly state: 'copying' | 'copied' | 'identical' | 'refused' | 'not used' | 'readonly';
  readonly detail: string;
  /** the store's file it is (or would be) */
  readonly file?: string;
}

export interface WatchStatus {
  readonly patterns: ReadonlyArray<{readonly pattern: string; readonly matches: number}>;
  readonly files: readonly WatchedFile[];
  /** the interval of the rescan (ms) */
  readonly rescanMs: number;
}

/** What the watch needs from the store. */
export interface BuildWatchHost {
  readonly root: string;
  readonly readonly: boolean;
  readonly uploadLimit: number;
  readonly maxInflated: number;
  readonly stableMs: number;
  readonly rescanMs: number;
  readonly filing: FilingContext;
  readonly log: Log;
  now(): number;
  /** run under the store's lock (no drop, upload or delete in between) */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  /** take a record that was just copied into the store (cache, listing, the `filed` listeners) */
  commit(record: FirmwareRecord, ident: Identification, source: string): Promise<void>;
  outcome(level: 'info' | 'warn' | 'error', text: string): void;
  changed(): void;
}

/** The file's identity on disk: a new build (other size, time or inode) is looked at again. */
const signature = (s: {size: number; mtimeMs: number; ino: number}) => `${s.size}:${s.mtimeMs}:${s.ino}`;

/**
 * WATCH: build outputs (e.g. ~/src/x/.pio/build/d1_mini/firmware.bin) copied into the store. The
 * patterns are expanded with fast-glob every `rescanMs` (new project folders are found without a
 * restart; symbolic links are not followed, so a link loop cannot trap it). A match that is a regular
 * file, within OTA_UPLOAD_LIMIT and settled (the drop folder's rule: size and time unchanged for
 * `stableMs`) is opened without blocking, identified by its markers and COPIED to <name>-<version>.bin
 * through a hidden temporary file and a no-replace link: the build file is never moved, renamed or
 * deleted, and a stored file is never overwritten. Anything else matched is listed as not used, with
 * the reason; a build of a stored version with other content is refused with the reason, once per build.
 */
export class BuildWatch {
  readonly #tracker: SettleTracker;
  readonly #files = new Map<string, WatchedFile & {readonly sig: string}>();
  #counts: Array<{pattern: string; matches: number}>;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #lastJson = '';

  constructor(readonly patterns: readonly string[], private readonly host: BuildWatchHost) {
    this.#tracker = new SettleTracker(host.stableMs, Infinity);
    this.#counts = patterns.map(pattern => ({pattern, matches: 0}));
  }

  start(): void {
    this.host.log.info(`watching build outputs ${this.patterns.join(', ')} (looked at every ${Math.round(this.host.rescanMs / 1000)} s; copied into the store, never moved)`);
    void this.scan();
    this.#timer = setInterval(() => void this.scan(), this.host.rescanMs);
    this.#timer.unref();
  }

  stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    return this.#running ?? Promise.resolve();
  }

  status(): WatchStatus {
    return {patterns: this.#counts, files: [...this.#files.values()].map(({sig: _sig, ...file}) => file), rescanMs: this.host.rescanMs};
  }

  /** The patterns that match nothing now. */
  unmatched(): string[] {
    return this.#counts.filter(c => c.matches === 0).map(c => c.pattern);
  }

  /** One pass over every pattern (a pass already running is shared). */
  scan(): Promise<void> {
    this.#running ??= this.#scan().catch(error => this.host.log.warn(`WATCH scan failed: ${(error as Error).message}`)).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #scan(): Promise<void> {
    const seen = new Set<string>();
    const counts: Array<{pattern: string; matches: number}> = [];
    // loaded by the first scan (there is none without WATCH patterns): about 8 MB of resident memory
    const {default: fg} = await import('fast-glob');
    for (const pattern of this.patterns) {
      const matches = await fg(pattern, {onlyFiles: false, followSymbolicLinks: false, suppressErrors: true, dot: true, absolute: true, unique: true});
      counts.push({pattern, matches: matches.length});
      for (const match of matches) {
        if (seen.has(match)) continue;
        seen.add(match);
        await this.#look(match);
      }
    }
    this.#counts = counts;
    for (const file of this.#files.keys()) if (!seen.has(file)) this.#files.delete(file);
    this.#tracker.retain(seen);
    const json = JSON.stringify(this.status());
    if (json !== this.#lastJson) {
      this.#lastJson = json;
      this.host.changed();
    }
  }

  async #look(file: string): Promise<void> {
    let stat;
    try {
      stat = await fsp.lstat(file);
    } catch (error) {
      return this.#set(file, '', {path: file, size: 0, state: 'not used', detail: `cannot be looked at (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`});
    }
    const sig = signature(stat);
    if (!stat.isFile()) return this.#set(file, sig, {path: file, size: 0, state: 'not used', detail: `${kindOf(stat)}: not used; WATCH copies only regular files (symbolic links are not followed): point the pattern at the build output itself`});
    if (stat.size > this.host.uploadLimit) return this.#set(file, sig, {path: file, size: stat.size, state: 'not used', detail: `not used: ${overLimit(stat.size, this.host.uploadLimit)}`});
    const known = this.#files.get(file);
    // the same build as last time: nothing to do, and nothing said again
    if (known?.sig === sig && !(await this.#lookAgain(known))) return;
    const now = this.host.now();
    this.#tracker.observe(file, stat.size, stat.mtimeMs, now);
    if (!this.#tracker.settled(file, now)) {
      return this.#set(file, sig, {path: file, size: stat.size, state: 'copying', detail: `being written (${humanBytes(stat.size)} so far); copied when it stops changing`}, true);
    }
    await this.#take(file, sig, stat.size);
  }

  /** A settled regular file: read it without blocking, identify it, copy it in (or say why not). */
  async #take(file: string, sig: string, size: number): Promise<void> {
    let data: Buffer | null;
    try {
      data = await readCapped(file, this.host.uploadLimit);
    } catch (error) {
      const why = error instanceof NotRegularFileError ? `${error.kind}: not used` : `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): not used; check its permissions`;
      return this.#set(file, sig, {path: file, size, state: 'not used', detail: why});
    }
    if (!data) return this.#set(file, sig, {path: file, size, state: 'not used', detail: `not used: ${overLimit(size, this.host.uploadLimit)}`});
    const ident = identifyFirmware(data, {maxInflated: this.host.maxInflated});
    const plan = planFiling(path.basename(file), ident);
    if (!plan.ok) return this.#set(file, sig, {path: file, size, state: 'not used', detail: `not used: ${plan.reason}`});
    if (this.host.readonly) return this.#set(file, sig, {path: file, size, state: 'readonly', file: plan.file, detail: `would be copied as ${plan.file}; left as it is (read-only mode)`});
    const outcome = await this.host.exclusive(() => this.#copy(file, data, ident, plan));
    this.#set(file, sig, {path: file, size, file: plan.file, ...outcome});
  }

  async #copy(file: string, data: Buffer, ident: Identification, plan: {name: string; version: string; file: string; fromMarkers: boolean}): Promise<Pick<WatchedFile, 'state' | 'detail'>> {
    const target = path.join(this.host.root, plan.file);
    const existing = await this.host.filing.existing(plan.file);
    if (existing) {
      // the same content again is quiet; another build of a stored version is refused, and said once per build
      if (existing.md5 === ident.md5 && existing.size === ident.size) return {state: 'identical', detail: `the same as the stored ${existing.file}`};
      const reason = conflictReason(plan, ident, existing);
      this.host.outcome('warn', `WATCH: ${printable(file)} not copied: ${reason}`);
      return {state: 'refused', detail: `not copied: ${reason}`};
    }
    const temp = tempNameFor(target);
    try {
      const handle = await fsp.open(temp, 'wx', STATE_FILE_MODE);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await moveNoReplace(temp, target);
    } catch (error) {
      await fsp.rm(temp, {force: true}).catch(() => {});
      if (error instanceof TargetExistsError) return {state: 'refused', detail: `${plan.file} appeared while copying; looked at again at the next pass`};
      this.host.outcome('error', `WATCH: cannot copy ${printable(file)} into the store: ${(error as Error).message}`);
      return {state: 'not used', detail: `cannot copy it into the store: ${(error as Error).message}`};
    }
    const record = makeRecord(plan.file, plan.name, plan.version, ident, plan.fromMarkers, '', this.host.now());
    await this.host.commit(record, ident, file);
    this.host.outcome('info', `Copied ${printable(file)} into the store as ${plan.file} (${summary(ident)})`);
    return {state: 'copied', detail: `copied as ${plan.file}`};
  }

  /** A build seen before is looked at again while it settles, or when the stored file it matched or clashed with was deleted. */
  async #lookAgain(known: WatchedFile): Promise<boolean> {
    if (known.state === 'copying') return true;
    if (!known.file || (known.state !== 'identical' && known.state !== 'refused')) return false;
    return !(await this.host.filing.existing(known.file));
  }

  #set(file: string, sig: string, status: WatchedFile, settling = false): void {
    const before = this.#files.get(file);
    this.#files.set(file, {...status, sig: settling ? '' : sig});
    // a file that cannot be used is said once per build, in the log too
    if (status.state === 'not used' && (before?.sig !== sig || before.state !== 'not used')) this.host.log.warn(`WATCH: ${printable(file)} ${status.detail}`);
  }
}

/** A started watch for the patterns, or null when there are none. */
export function startBuildWatch(patterns: readonly string[], host: BuildWatchHost): BuildWatch | null {
  if (patterns.length === 0) return null;
  const watch = new BuildWatch(patterns, host);
  watch.start();
  return watch;
}
