/**
 * A token bucket that bounds how many packets per second the whole fleet sends. Devices ask for a
 * token before each packet; `take()` returns null when one is free right away (no promise, no
 * allocation: the common case at small scale) or a promise resolved in FIFO order. Urgent requests
 * (OTA status, replies to /set) are served before the rest, so a fleet-wide boot storm does not
 * stretch an OTA's progress reports.
 */
export class Pacer {
  #tokens: number;
  #last: number;
  #urgent: Array<() => void> = [];
  #normal: Array<() => void> = [];
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  granted = 0;

  constructor(readonly ratePerSecond: number, readonly burst = Math.max(1, Math.ceil(ratePerSecond / 20))) {
    this.#tokens = burst;
    this.#last = Date.now();
  }

  get unlimited(): boolean {
    return !Number.isFinite(this.ratePerSecond) || this.ratePerSecond <= 0;
  }

  /** how many are waiting */
  get waiting(): number {
    return this.#urgent.length + this.#normal.length;
  }

  take(urgent = false): Promise<void> | null {
    if (this.unlimited || this.#stopped) {
      this.granted++;
      return null;
    }
    this.#refill();
    if (this.waiting === 0 && this.#tokens >= 1) {
      this.#tokens--;
      this.granted++;
      return null;
    }
    const promise = new Promise<void>(resolve => (urgent ? this.#urgent : this.#normal).push(resolve));
    this.#schedule();
    return promise;
  }

  /** Release everyone waiting (the fleet is stopping). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const resolve of [...this.#urgent, ...this.#normal]) resolve();
    this.#urgent = [];
    this.#normal = [];
  }

  #refill(): void {
    const now = Date.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
    this.#last = now;
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(1, Math.ceil(((1 - this.#tokens) / this.ratePerSecond) * 1000));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#refill();
      while (this.#tokens >= 1 && this.waiting > 0) {
        this.#tokens--;
        this.granted++;
        (this.#urgent.shift() ?? this.#normal.shift())!();
      }
      if (this.waiting > 0) this.#schedule();
    }, wait);
  }
}
