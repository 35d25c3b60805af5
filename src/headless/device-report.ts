import {groupDigits} from '../engine/util/text.js';
import type {DeviceChange, DeviceLine} from './device-lines.js';

/** Device lines printed one by one in a second before the rest of that second is only counted. */
export const LINES_PER_SECOND = 5;
const WINDOW_MS = 1000;

const WORDS: Record<DeviceChange, string> = {appeared: 'appeared', lost: 'lost or disconnected', back: 'back', firmware: 'on new firmware', removed: 'left'};

const count = groupDigits;

/**
 * Device lines, one per change, but never a flood: in a second with more than LINES_PER_SECOND
 * changes the first few are printed and the rest summed up in one line when the second ends; while
 * the burst lasts (20,000 devices at start) each second prints one count. Quiet again, lines are
 * printed one by one (the last second's few held back at most a second).
 */
export class DeviceReport {
  #timer: NodeJS.Timeout | null = null;
  #printed = 0;
  #burst = false;
  #extra = 0;
  #byChange = new Map<DeviceChange, number>();
  #held: DeviceLine[] = [];
  /** devices that appeared this second: printed when it ends, with what they have sent by then */
  #appeared: DeviceLine[] = [];

  constructor(
    private readonly print: (line: DeviceLine) => void,
    private readonly summary: (text: string) => void,
    private readonly totals: () => {total: number; online: number},
  ) {}

  add(lines: readonly DeviceLine[]): void {
    for (const line of lines) {
      if (!this.#timer) {
        this.#timer = setTimeout(() => this.#endSecond(), WINDOW_MS);
        this.#timer.unref();
      }
      if (!this.#burst && this.#printed < LINES_PER_SECOND) {
        this.#printed++;
        if (line.change === 'appeared') this.#appeared.push(line);
        else this.print(line);
        continue;
      }
      this.#extra++;
      this.#byChange.set(line.change, (this.#byChange.get(line.change) ?? 0) + 1);
      if (this.#held.length < LINES_PER_SECOND) this.#held.push(line);
    }
  }

  /** Print what is held (at the end of the output). */
  flush(): void {
    if (this.#timer) this.#endSecond();
  }

  #known(): string {
    const {total, online} = this.totals();
    return `${count(total)} device${total === 1 ? '' : 's'} known, ${count(online)} online`;
  }

  #endSecond(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const line of this.#appeared) this.print(line);
    this.#appeared = [];
    if (this.#burst && this.#extra <= LINES_PER_SECOND) {
      // the burst is over: what came in its last second is few enough to read one by one
      for (const line of this.#held) this.print(line);
      this.summary(`that was the last of them: ${this.#known()}`);
      this.#burst = false;
    } else if (this.#extra > 0) {
      const what = [...this.#byChange].map(([change, n]) => `${count(n)} ${WORDS[change]}`).join(', ');
      this.summary(`${this.#burst ? '' : 'and '}${count(this.#extra)} ${this.#burst ? '' : 'more '}device change${this.#extra === 1 ? '' : 's'} in the last second: ${what}; ${this.#known()} (GET /api/devices lists them)`);
      this.#burst = true;
    }
    this.#printed = 0;
    this.#extra = 0;
    this.#byChange = new Map();
    this.#held = [];
  }
}
