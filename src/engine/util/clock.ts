/**
 * The engine's wall clock, watched against the monotonic clock. Wall time is what people read and
 * what is stored (job timelines, last seen); waits are measured between two wall times. When the
 * system clock jumps (a Raspberry Pi without a real-time clock boots with a stale time and NTP moves
 * it by hours; someone sets the date), every wait in progress would end at once or last hours longer.
 * So each reading compares how far the wall clock moved with how far the monotonic clock did, and a
 * difference beyond `toleranceMs` is announced to the listeners, which move the times their waits
 * count from.
 */
export type JumpListener = (deltaMs: number) => void;

export class JumpClock {
  readonly #listeners: JumpListener[] = [];
  #lastWall: number;
  #lastMono: number;

  constructor(readonly wall: () => number = Date.now, readonly mono: () => number = () => performance.now(), readonly toleranceMs = 2000) {
    this.#lastWall = wall();
    this.#lastMono = mono();
  }

  /** Wall time (ms since 1970); tells the listeners first when it jumped since the last reading. */
  now(): number {
    const wall = this.wall();
    const mono = this.mono();
    const jump = wall - this.#lastWall - (mono - this.#lastMono);
    // the state moves first: a listener that reads the clock sees no second jump
    this.#lastWall = wall;
    this.#lastMono = mono;
    if (Math.abs(jump) > this.toleranceMs) {
      for (const listener of this.#listeners) {
        try {
          listener(jump);
        } catch {
          // a listener's failure must not break reading the time
        }
      }
    }
    return wall;
  }

  onJump(listener: JumpListener): void {
    this.#listeners.push(listener);
  }
}
