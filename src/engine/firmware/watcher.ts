import fs from 'node:fs';
import type {Log} from '../log.js';

/**
 * Tells the store when to look at the firmware folder again: on file system events (fs.watch,
 * debounced), every `rescanMs` anyway (network shares and some SD-card setups deliver no events), and
 * at a time the store asks for (when a file being copied should have settled).
 */
export class FolderWatcher {
  #watcher: fs.FSWatcher | null = null;
  #interval: NodeJS.Timeout | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #wake: NodeJS.Timeout | null = null;
  #wakeAt = Infinity;
  #stopped = true;

  constructor(
    readonly dir: string,
    readonly options: {readonly rescanMs: number; readonly fsWatch: boolean; readonly debounceMs?: number; readonly now?: () => number},
    readonly onScan: (reason: string) => void,
    readonly log: Log,
  ) {}

  start(): void {
    this.#stopped = false;
    if (this.options.fsWatch) {
      try {
        this.#watcher = fs.watch(this.dir, {persistent: false}, () => this.#soon());
        this.#watcher.on('error', error => {
          this.log.warn(`watching ${this.dir} failed (${error.message}); new files are still found by the rescan every ${Math.round(this.options.rescanMs / 1000)} s`);
          this.#watcher?.close();
          this.#watcher = null;
        });
      } catch (error) {
        this.log.warn(`cannot watch ${this.dir} (${(error as Error).message}); new files are found by the rescan every ${Math.round(this.options.rescanMs / 1000)} s`);
      }
    }
    this.#interval = setInterval(() => this.onScan('periodic rescan'), this.options.rescanMs);
    this.#interval.unref();
  }

  /** Scan again at `time` (ms since epoch) unless a scan is already due earlier. */
  wakeAt(time: number): void {
    if (this.#stopped || time >= this.#wakeAt) return;
    if (this.#wake) clearTimeout(this.#wake);
    this.#wakeAt = time;
    this.#wake = setTimeout(() => {
      this.#wake = null;
      this.#wakeAt = Infinity;
      this.onScan('settle check');
    }, Math.max(0, time - (this.options.now ?? Date.now)()));
    this.#wake.unref();
  }

  #soon(): void {
    if (this.#stopped || this.#debounce) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = null;
      this.onScan('file system event');
    }, this.options.debounceMs ?? 150);
    this.#debounce.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.#watcher?.close();
    this.#watcher = null;
    for (const timer of [this.#interval, this.#debounce, this.#wake]) if (timer) clearTimeout(timer);
    this.#interval = this.#debounce = this.#wake = null;
    this.#wakeAt = Infinity;
  }
}
