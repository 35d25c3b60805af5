import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {STATE_FILE_MODE, tempNameFor, writeFileAtomicSync} from './util/atomic.js';
import {NotRegularFileError, readRegularFileSync} from './util/safe-file.js';
import {StartupError} from './util/startup-error.js';

/**
 * One owner per firmware folder. Two homie-ota processes on one folder hand out the same job ids and
 * overwrite each other's jobs.json and inventory.json, so the first one to start writes
 * `<folder>/.homie-ota.lock` and any later one refuses to start, naming it.
 *
 * - Created atomically: the complete JSON is written to a temporary file and link(2)ed to the lock's
 *   name, which fails when the name is taken; of two processes starting at the same moment exactly
 *   one succeeds, and a lock is never seen half-written.
 * - A lock whose process is gone (a kill -9, a power cut) is stale and taken over. "Gone" is checked
 *   against the process id, the boot (a reboot frees every pid) and the process's start time, because
 *   after a restart another program may run under the same pid.
 * - Taking over is guarded by a second file, created the same way: only its holder may remove the
 *   stale lock, and only if the lock is still the stale one it read. A process that loses that race
 *   tries again and then finds the winner's live lock.
 * - It records how a program on this machine reaches the running instance (HTTP URL and port, broker
 *   port, whether basic auth is on; never a password), and is removed on a clean shutdown.
 */
export const LOCK_FILE = '.homie-ota.lock';
const FORMAT = 'homie-ota-lock';
/** a lock or guard that is not readable JSON is taken for a writer that died, once it is this old */
const UNREADABLE_GRACE_MS = 30_000;

export interface LockEndpoints {
  readonly http: {readonly url: string; readonly port: number; readonly tls: boolean; readonly auth: boolean};
  readonly broker: {readonly embedded: true; readonly port: number} | {readonly embedded: false; readonly url: string};
}

export interface LockInfo {
  readonly format: typeof FORMAT;
  readonly pid: number;
  readonly hostname: string;
  readonly bootId?: string;
  /** the process's start time in clock ticks since boot (/proc/<pid>/stat), against pid reuse */
  readonly procStart?: string;
  readonly startedAt: string;
  readonly version: string;
  readonly token: string;
  readonly state: 'starting' | 'running';
  readonly endpoints?: LockEndpoints;
}

function readProc(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Fields 3 (state) and 22 (start time) of /proc/<pid>/stat, after the command name (which may hold spaces and parentheses). */
function procStat(pid: number): {state: string; start: string} | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {state: fields[0] ?? '', start: fields[19] ?? ''};
}

export function processStart(pid: number): string | undefined {
  return procStat(pid)?.start;
}

function bootId(): string | undefined {
  return readProc('/proc/sys/kernel/random/boot_id');
}

/** Whether the process that wrote `info` still runs: true, false, or null when it cannot be told (another host). */
export function holderAlive(info: Pick<LockInfo, 'pid' | 'hostname' | 'bootId' | 'procStart'>): boolean | null {
  if (info.hostname !== os.hostname()) return null;
  const boot = bootId();
  if (info.bootId && boot && info.bootId !== boot) return false;
  if (!Number.isInteger(info.pid) || info.pid <= 0) return false;
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const stat = procStat(info.pid);
  // a zombie (killed, not yet reaped by its parent) still answers kill(pid, 0)
  if (stat && (stat.state === 'Z' || stat.state === 'X')) return false;
  if (info.procStart && stat?.start && info.procStart !== stat.start) return false;
  return true;
}

type Seen = {readonly kind: 'missing'} | {readonly kind: 'lock'; readonly info: LockInfo; readonly text: string} | {readonly kind: 'unreadable'; readonly text: string; readonly ageMs: number};

function look(file: string): Seen {
  let text: string;
  try {
    text = readRegularFileSync(file).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {kind: 'missing'};
    if (error instanceof NotRegularFileError) {
      throw new StartupError(`${file} is ${error.kind}, not a regular file; homie-ota marks the folder it owns with that file: remove or rename it, then start homie-ota again`);
    }
    throw new StartupError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the permissions of the firmware folder`);
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    if (info?.format === FORMAT && typeof info.pid === 'number') return {kind: 'lock', info, text};
  } catch {
    // not JSON: below
  }
  const ageMs = Date.now() - (fs.statSync(file, {throwIfNoEntry: false})?.mtimeMs ?? 0);
  return {kind: 'unreadable', text, ageMs};
}

/** Create `file` with `text` only if the name is free (link(2) of a complete temporary file). */
function createExclusive(file: string, text: string): boolean {
  const temp = tempNameFor(file);
  fs.writeFileSync(temp, text, {mode: STATE_FILE_MODE, flag: 'wx'});
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    // no hard links here (FAT, some network shares): O_EXCL, written in one call
    try {
      fs.writeFileSync(file, text, {mode: STATE_FILE_MODE, flag: 'wx'});
      return true;
    } catch (exclusiveError) {
      if ((exclusiveError as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw exclusiveError;
    }
  } finally {
    fs.rmSync(temp, {force: true});
  }
}

/** In words, for the refusal: "pid 812 on pi4, started …, HTTP http://127.0.0.1:9080, embedded broker on port 1883". */
export function describeHolder(info: LockInfo): string {
  const parts = [`pid ${info.pid} on ${info.hostname}`, `started ${info.startedAt}`];
  const e = info.endpoints;
  if (!e) parts.push('still starting (its ports are not known yet)');
  else {
    parts.push(`HTTP ${e.http.url}`);
    parts.push(e.broker.embedded ? `embedded broker on port ${e.broker.port}` : `broker ${e.broker.url}`);
  }
  return parts.join(', ');
}

/** The live homie-ota on this machine that holds the folder's lock and says how to reach it; null when there is none. */
export function runningHolder(root: string): (LockInfo & {readonly endpoints: LockEndpoints}) | null {
  let seen: Seen;
  try {
    seen = look(path.join(root, LOCK_FILE));
  } catch {
    return null;
  }
  if (seen.kind !== 'lock' || !seen.info.endpoints || holderAlive(seen.info) !== true) return null;
  return seen.info as LockInfo & {readonly endpoints: LockEndpoints};
}

export interface LockOptions {
  readonly version: string;
  readonly pid?: number;
}

/** The lock this process holds. */
export class InstanceLock {
  #info: LockInfo;

  private constructor(readonly file: string, info: LockInfo) {
    this.#info = info;
  }

  get info(): LockInfo {
    return this.#info;
  }

  /**
   * Take the folder, or throw a StartupError (exit 2) naming the instance that has it and what to do.
   * Notes what happened (a stale lock taken over) through `note`.
   */
  static acquire(root: string, options: LockOptions, note: (text: string) => void = () => {}): InstanceLock {
    const file = path.join(root, LOCK_FILE);
    const pid = options.pid ?? process.pid;
    const info: LockInfo = {
      format: FORMAT, pid, hostname: os.hostname(), bootId: bootId(), procStart: processStart(pid), startedAt: new Date().toISOString(),
      version: options.version, token: crypto.randomBytes(8).toString('hex'), state: 'starting',
    };
    const text = `${JSON.stringify(info, null, 2)}\n`;
    for (let attempt = 0; attempt < 20; attempt++) {
      if (createExclusive(file, text)) return new InstanceLock(file, info);
      const seen = look(file);
      if (seen.kind === 'missing') continue;
      if (seen.kind === 'lock') {
        const alive = holderAlive(seen.info);
        if (alive !== false) throw refusal(root, file, seen.info, alive === null);
        if (takeOver(file, seen.text)) note(`took over ${file}: the homie-ota that held it (${describeHolder(seen.info)}) no longer runs`);
      } else if (seen.ageMs > UNREADABLE_GRACE_MS) {
        if (takeOver(file, seen.text)) note(`replaced ${file}, which held no readable lock`);
      }
      // another process is taking over or just created it: look again in a moment
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25 + Math.floor(Math.random() * 50));
    }
    const last = look(file);
    if (last.kind === 'lock') throw refusal(root, file, last.info, holderAlive(last.info) === null);
    throw new StartupError(`${file} exists and is not a homie-ota lock homie-ota can read; if no other homie-ota uses ${root}, remove that file, then start again`);
  }

  /** Record how this instance is reached (after its servers listen). */
  update(endpoints: LockEndpoints): void {
    const next: LockInfo = {...this.#info, state: 'running', endpoints};
    const current = look(this.file);
    if (current.kind !== 'lock' || current.info.token !== this.#info.token) return;
    writeFileAtomicSync(this.file, `${JSON.stringify(next, null, 2)}\n`);
    this.#info = next;
  }

  /** Remove the lock if it is still ours. */
  release(): void {
    try {
      const current = look(this.file);
      if (current.kind === 'lock' && current.info.token === this.#info.token) fs.rmSync(this.file, {force: true});
    } catch {
      // nothing to do on the way out; a leftover lock is found stale at the next start
    }
  }
}

function refusal(root: string, file: string, holder: LockInfo, elsewhere: boolean): StartupError {
  const who = describeHolder(holder);
  if (elsewhere) {
    return new StartupError(`the firmware folder ${root} is in use by a homie-ota on another machine (${who}); two instances on one folder overwrite each other's jobs and inventory. Stop that one, or use another --firmware-dir here; if it no longer runs, remove ${file}`);
  }
  return new StartupError(`the firmware folder ${root} is in use by another homie-ota (${who}); two instances on one folder overwrite each other's jobs and inventory. Stop that one (kill ${holder.pid}, or systemctl stop homie-ota), or give this one another --firmware-dir`);
}

/**
 * Remove the stale lock whose text was `stale`, under a guard only one process can hold. Returns
 * true when this process removed it.
 */
function takeOver(file: string, stale: string): boolean {
  const guard = `${file}.takeover`;
  const mine = JSON.stringify({pid: process.pid, hostname: os.hostname(), bootId: bootId(), procStart: processStart(process.pid)});
  if (!createExclusive(guard, mine)) {
    // a guard left by a process that died in the middle of a takeover is removed; the caller retries
    let holder: {pid: number; hostname: string; bootId?: string; procStart?: string} | null = null;
    try {
      holder = JSON.parse(fs.readFileSync(guard, 'utf8')) as typeof holder;
    } catch {
      holder = null;
    }
    const age = Date.now() - (fs.statSync(guard, {throwIfNoEntry: false})?.mtimeMs ?? Date.now());
    if ((holder && holderAlive(holder) === false) || (!holder && age > UNREADABLE_GRACE_MS)) fs.rmSync(guard, {force: true});
    return false;
  }
  try {
    const now = look(file);
    const same = (now.kind === 'lock' || now.kind === 'unreadable') && now.text === stale;
    if (same) fs.rmSync(file, {force: true});
    return same;
  } finally {
    fs.rmSync(guard, {force: true});
  }
}
