/**
 * Decides when a file in the folder has finished arriving. A slow scp, a Samba copy or a `cp` in
 * chunks shows a file whose size and modification time keep changing; it is only read once both
 * have stayed the same for `stableMs`. A file that was first seen with an old modification time is
 * at rest already. A file that is settled but not a usable firmware is given `rejectAfterMs` before
 * it is moved to rejected/: a stalled copy or a preallocated file (zeros first) must not be judged
 * on its first half.
 */
export type DropState = 'copying' | 'incomplete' | 'readonly' | 'not filed' | 'error';

export interface DropStatus {
  readonly file: string;
  readonly size: number;
  readonly state: DropState;
  /** what a person needs to know, e.g. why it waits */
  readonly detail: string;
  /** since when the file has been unchanged (ms since epoch) */
  readonly since: number;
}

interface Tracked {
  size: number;
  mtimeMs: number;
  since: number;
  state: DropState;
  detail: string;
  /** a notice was given for this exact version of the file */
  noticed: boolean;
}

export class SettleTracker {
  readonly #tracked = new Map<string, Tracked>();

  constructor(readonly stableMs: number, readonly rejectAfterMs: number) {}

  /** Record a sighting; returns how long the file has been unchanged (ms). */
  observe(file: string, size: number, mtimeMs: number, now: number): number {
    const known = this.#tracked.get(file);
    if (!known || known.size !== size || known.mtimeMs !== mtimeMs) {
      // first sight of an old file: it has been at rest since its modification time
      const since = known ? now : Math.min(now, mtimeMs);
      this.#tracked.set(file, {size, mtimeMs, since, state: 'copying', detail: 'being written; waiting for it to settle', noticed: false});
      return now - since;
    }
    return now - known.since;
  }

  settled(file: string, now: number): boolean {
    const known = this.#tracked.get(file);
    return Boolean(known && now - known.since >= this.stableMs);
  }

  /** Settled long enough that a file which is still not usable is given up on. */
  expired(file: string, now: number): boolean {
    const known = this.#tracked.get(file);
    return Boolean(known && now - known.since >= this.rejectAfterMs);
  }

  /** The wall clock jumped: a file's quiet time goes on as it was (neither hours longer nor shorter). */
  shift(delta: number): void {
    for (const t of this.#tracked.values()) t.since += delta;
  }

  /** Since when the file has been unchanged, or undefined. */
  sinceOf(file: string): number | undefined {
    return this.#tracked.get(file)?.since;
  }

  setState(file: string, state: DropState, detail: string): void {
    const known = this.#tracked.get(file);
    if (known) Object.assign(known, {state, detail});
  }

  /** True the first time it is asked for this version of the file (so a notice is given once). */
  firstNotice(file: string): boolean {
    const known = this.#tracked.get(file);
    if (!known || known.noticed) return false;
    known.noticed = true;
    return true;
  }

  forget(file: string): void {
    this.#tracked.delete(file);
  }

  /** Forget files that are gone. */
  retain(files: ReadonlySet<string>): void {
    for (const file of this.#tracked.keys()) if (!files.has(file)) this.#tracked.delete(file);
  }

  /** When the next decision is due (ms since epoch), or Infinity. */
  nextDue(): number {
    let due = Infinity;
    for (const t of this.#tracked.values()) {
      if (t.state === 'copying') due = Math.min(due, t.since + this.stableMs);
      else if (t.state === 'incomplete') due = Math.min(due, t.since + this.rejectAfterMs);
    }
    return due;
  }

  list(): DropStatus[] {
    return [...this.#tracked].map(([file, t]) => ({file, size: t.size, state: t.state, detail: t.detail, since: t.since}));
  }
}
