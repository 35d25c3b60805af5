/**
 * Tells the bus which devices changed, coalesced: changes people act on (a device appears or goes,
 * its state, firmware or address, an OTA status) within 50 ms; the stream of stats, sensor values and
 * last-seen times at most once a second, so 500 messages/s do not redraw the dashboard 20 times a
 * second. An event lists the changed keys, or none when there were many (or everything changed).
 * The fast changes are also told key by key, however many (`emitFast`), for whoever prints a line per
 * device (headless mode): reading only those is O(changed devices), never O(all devices).
 */
export const FAST_EMIT_MS = 50;
export const SLOW_EMIT_MS = 1000;
/** How many changed keys an event lists before it just says "many". */
const MAX_EVENT_KEYS = 256;

export class ChangeNotifier {
  #changed = new Set<string>();
  #fast = new Set<string>();
  #many = false;
  #timer: NodeJS.Timeout | null = null;
  #due = Infinity;
  /** the timer is a fast one: due within FAST_EMIT_MS of when it was set */
  #timerFast = false;

  constructor(readonly emit: (keys: readonly string[]) => void, readonly now: () => number = Date.now, readonly emitFast?: (keys: readonly string[]) => void) {}

  /** A device changed (null: many or all; no key at all: nothing but progress to tell). */
  changed(key: string | null | undefined, fast: boolean): void {
    if (key === null || this.#changed.size >= MAX_EVENT_KEYS) this.#many = true;
    else if (key !== undefined) this.#changed.add(key);
    if (fast && key && this.emitFast) this.#fast.add(key);
    // called for every message: with a timer due as soon as this change needs, no clock is read
    if (this.#timer && (this.#timerFast || !fast)) return;
    const wait = fast ? FAST_EMIT_MS : SLOW_EMIT_MS;
    const due = this.now() + wait;
    if (this.#timer && this.#due <= due) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#due = due;
    this.#timerFast = fast;
    this.#timer = setTimeout(() => this.#flush(), wait);
    this.#timer.unref();
  }

  #flush(): void {
    this.#timer = null;
    this.#due = Infinity;
    const keys = this.#many ? [] : [...this.#changed];
    const fast = [...this.#fast];
    this.#changed = new Set();
    this.#fast = new Set();
    this.#many = false;
    this.emit(keys);
    if (fast.length > 0) this.emitFast?.(fast);
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
