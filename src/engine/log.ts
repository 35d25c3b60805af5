import fs from 'node:fs';
import {STATE_FILE_MODE} from './util/atomic.js';
import {openAppendSync} from './util/safe-file.js';
import {printable} from './util/text.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<Level, number> = {debug: 10, info: 20, warn: 30, error: 40};

export interface LogEntry {
  readonly seq: number;
  readonly time: number;
  readonly level: Level;
  /** area of the engine: mqtt, http, inventory, firmware, ota, broker, app */
  readonly ns: string;
  readonly message: string;
}

/** A logger for one area; debug messages may be functions so they cost nothing when debug is off. */
export interface Log {
  debug(message: string | (() => string)): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LoggerOptions {
  readonly debug: boolean;
  readonly file?: string | null;
  /** rotate the file when it passes this size */
  readonly maxFileSize?: number;
  /** rotated files kept: file.1 … file.N */
  readonly keepFiles?: number;
  /** entries kept in memory for the log view */
  readonly ringSize?: number;
  readonly now?: () => number;
}

/**
 * The engine's logger: entries go to a bounded ring (the Log view), to listeners (the dashboard store,
 * the headless printer) and to a rotating file. Secrets registered with `redact` never leave it.
 */
export class Logger {
  readonly #ring: LogEntry[] = [];
  readonly #ringSize: number;
  readonly #listeners = new Set<(entry: LogEntry) => void>();
  readonly #secrets: string[] = [];
  readonly #now: () => number;
  readonly #file: RotatingFile | null;
  #minRank: number;
  #seq = 0;

  constructor(options: LoggerOptions) {
    this.#ringSize = options.ringSize ?? 2000;
    this.#minRank = LEVEL_RANK[options.debug ? 'debug' : 'info'];
    this.#now = options.now ?? Date.now;
    this.#file = options.file ? new RotatingFile(options.file, options.maxFileSize ?? 5 * 1024 * 1024, options.keepFiles ?? 3) : null;
  }

  get debugEnabled(): boolean {
    return this.#minRank <= LEVEL_RANK.debug;
  }

  setDebug(on: boolean): void {
    this.#minRank = LEVEL_RANK[on ? 'debug' : 'info'];
  }

  /** Never write these strings (passwords) anywhere; shorter than 3 characters is ignored. */
  redact(...secrets: Array<string | undefined>): void {
    for (const s of secrets) if (s && s.length >= 3 && !this.#secrets.includes(s)) this.#secrets.push(s);
  }

  child(ns: string): Log {
    return {
      debug: message => {
        if (this.#minRank <= LEVEL_RANK.debug) this.write('debug', ns, typeof message === 'function' ? message() : message);
      },
      info: message => this.write('info', ns, message),
      warn: message => this.write('warn', ns, message),
      error: message => this.write('error', ns, message),
    };
  }

  write(level: Level, ns: string, message: string): void {
    if (LEVEL_RANK[level] < this.#minRank) return;
    let text = printable(message);
    for (const secret of this.#secrets) text = text.split(secret).join('***');
    const entry: LogEntry = {seq: ++this.#seq, time: this.#now(), level, ns, message: text};
    this.#ring.push(entry);
    if (this.#ring.length > this.#ringSize) this.#ring.splice(0, this.#ring.length - this.#ringSize);
    this.#file?.append(formatLine(entry));
    for (const listener of this.#listeners) {
      try {
        listener(entry);
      } catch {
        // a broken listener must not break logging
      }
    }
  }

  /** The newest entries, oldest first. */
  recent(): readonly LogEntry[] {
    return this.#ring;
  }

  onEntry(listener: (entry: LogEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Problems of the file sink (disk full, permissions), for the status line. */
  get fileError(): string | null {
    return this.#file?.error ?? null;
  }

  close(): void {
    this.#file?.close();
  }
}

export function formatLine(entry: LogEntry): string {
  return `${new Date(entry.time).toISOString()} ${entry.level.toUpperCase().padEnd(5)} ${entry.ns}: ${entry.message}\n`;
}

/**
 * Appends lines to a file from a buffer flushed at most every 200 ms, and rotates it by size
 * (file → file.1 → … → file.N). A write error is kept as state; logging never throws.
 */
class RotatingFile {
  #fd: number | null = null;
  #size = 0;
  #buffer: string[] = [];
  #timer: NodeJS.Timeout | null = null;
  error: string | null = null;

  constructor(readonly path: string, readonly maxSize: number, readonly keep: number) {
    this.#open();
  }

  #open(): void {
    try {
      // never through a FIFO (the open would block) or into a device: a regular file or nothing
      this.#fd = openAppendSync(this.path, STATE_FILE_MODE, {followLinks: true});
      this.#size = fs.fstatSync(this.#fd).size;
      this.error = null;
    } catch (error) {
      this.#fd = null;
      this.error = `cannot open log file ${this.path}: ${(error as Error).message}`;
    }
  }

  append(line: string): void {
    this.#buffer.push(line);
    if (this.#buffer.length > 5000) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), 200).unref();
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#buffer.length === 0) return;
    const text = this.#buffer.join('');
    this.#buffer = [];
    const bytes = Buffer.byteLength(text);
    // rotate before a write that would take the file past the limit, so files stay near LOG_MAX_SIZE
    if (this.#fd !== null && this.#size > 0 && this.#size + bytes > this.maxSize) this.#rotate();
    if (this.#fd === null) this.#open();
    if (this.#fd === null) return;
    try {
      fs.writeSync(this.#fd, text);
      this.#size += bytes;
      this.error = null;
    } catch (error) {
      this.error = `cannot write log file ${this.path}: ${(error as Error).message}`;
      return;
    }
    if (this.#size >= this.maxSize) this.#rotate();
  }

  #rotate(): void {
    try {
      if (this.#fd !== null) fs.closeSync(this.#fd);
      this.#fd = null;
      for (let i = this.keep - 1; i >= 1; i--) {
        if (fs.existsSync(`${this.path}.${i}`)) fs.renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      }
      fs.renameSync(this.path, `${this.path}.1`);
    } catch (error) {
      this.error = `cannot rotate log file ${this.path}: ${(error as Error).message}`;
    }
    this.#open();
  }

  close(): void {
    this.flush();
    if (this.#fd !== null) fs.closeSync(this.#fd);
    this.#fd = null;
  }
}
