import {formatLine, type Level} from '../engine/log.js';

/** How long a run of repeated lines is held before its count is printed anyway. */
export const REPEAT_REPORT_MS = 10_000;

/**
 * Writes journal lines ("<ISO time> LEVEL area: text") and never prints a line twice in a row: a
 * repeat is counted, and the count is printed as "… (the line above repeated 12 more times)" when
 * another line comes, after REPEAT_REPORT_MS, or at the end.
 */
export class LineWriter {
  #last: {readonly key: string; readonly level: Level; readonly area: string} | null = null;
  #repeats = 0;
  #lastTime = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly out: NodeJS.WritableStream) {}

  write(time: number, level: Level, area: string, text: string): void {
    // an area named twice ("demo: demo: …") reads as a stutter
    const body = text.startsWith(`${area}: `) ? text.slice(area.length + 2) : text;
    const key = `${level} ${area}: ${body}`;
    if (key === this.#last?.key) {
      this.#repeats++;
      this.#lastTime = time;
      if (!this.#timer) {
        this.#timer = setTimeout(() => this.#reportRepeats(), REPEAT_REPORT_MS);
        this.#timer.unref();
      }
      return;
    }
    this.#reportRepeats();
    this.#last = {key, level, area};
    this.#print(time, level, area, body);
  }

  /** Print a pending repeat count (at the end of the output). */
  flush(): void {
    this.#reportRepeats();
  }

  #reportRepeats(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#repeats === 0 || !this.#last) return;
    this.#print(this.#lastTime, this.#last.level, this.#last.area, `… (the line above repeated ${this.#repeats} more time${this.#repeats === 1 ? '' : 's'})`);
    this.#repeats = 0;
  }

  #print(time: number, level: Level, area: string, text: string): void {
    this.out.write(formatLine({seq: 0, time, level, ns: area, message: text}));
  }
}
