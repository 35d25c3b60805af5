/**
 * When to write inventory.json. Changes that matter (a device appears or goes, its state, firmware,
 * name or address change) are saved about a second later; changes that churn constantly (uptime,
 * signal, sensor values, last-seen times) ride along, or are saved at least every VOLATILE_DELAY.
 * The gap between writes grows with the time a write takes, so a large inventory on a slow SD card
 * does not spend its life writing.
 */
export const IMPORTANT_DELAY = 1000;
export const VOLATILE_DELAY = 60_000;
/** at least this many times the last write's duration passes between writes (≤ 5% of the time writing) */
const GAP_FACTOR = 20;

export class SaveScheduler {
  #timer: NodeJS.Timeout | null = null;
  #due = Infinity;
  #saving: Promise<void> | null = null;
  #pending: 'none' | 'volatile' | 'important' = 'none';
  #lastEnd = 0;
  #lastDuration = 0;

  constructor(readonly save: () => Promise<void>, readonly now: () => number = Date.now) {}

  get lastDuration(): number {
    return this.#lastDuration;
  }

  mark(kind: 'important' | 'volatile'): void {
    // called for every message: the common case (already scheduled for at least this) returns at once
    if (this.#pending === kind || this.#pending === 'important') return;
    this.#pending = kind;
    if (this.#saving) return; // rescheduled when the running save ends
    this.#schedule();
  }

  #schedule(): void {
    if (this.#pending === 'none') return;
    const gap = Math.max(IMPORTANT_DELAY, GAP_FACTOR * this.#lastDuration);
    const wait = this.#pending === 'important' ? IMPORTANT_DELAY : VOLATILE_DELAY;
    // a last write "in the future" means the clock went back: count from now, not from then
    const due = Math.max(this.now() + wait, Math.min(this.#lastEnd, this.now()) + gap);
    if (this.#timer && due >= this.#due) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#due = due;
    this.#timer = setTimeout(() => void this.#run(), Math.max(0, due - this.now()));
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    this.#timer = null;
    this.#due = Infinity;
    if (this.#pending === 'none') return;
    this.#pending = 'none';
    const started = this.now();
    this.#saving = this.save().catch(() => {
      // the saver reports its own errors; a failed write is retried with the next change
    });
    await this.#saving;
    this.#saving = null;
    this.#lastEnd = this.now();
    this.#lastDuration = this.#lastEnd - started;
    this.#schedule();
  }

  /** Write now if anything is unsaved (on stop), after a save that is already running. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#due = Infinity;
    if (this.#saving) await this.#saving;
    if (this.#pending === 'none') return;
    this.#pending = 'none';
    await this.save().catch(() => {});
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
