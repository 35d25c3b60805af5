import type {LogEntry} from '../../../engine/log.js';
import {wrap} from '../../cells.js';
import {clockTime} from '../../time.js';

/** "16:51:19 WARN  ota: …": the time, the level, the area and the message (already made printable by the logger). */
export function formatLogRow(entry: LogEntry): string {
  return `${clockTime(entry.time)} ${entry.level.toUpperCase().padEnd(5)} ${entry.ns}: ${entry.message}`;
}

/** Wrapped lines continue under the message, after the time and the level. */
const HANG = ' '.repeat(15);

const wrapped = new WeakMap<LogEntry, {width: number; lines: string[]}>();

/** The screen lines of one entry: one (cut by the terminal) or, wrapped, as many as its text needs. */
export function entryLines(entry: LogEntry, width: number, wrapOn: boolean): string[] {
  if (!wrapOn) return [formatLogRow(entry)];
  const cached = wrapped.get(entry);
  if (cached && cached.width === width) return cached.lines;
  const lines = wrap(formatLogRow(entry), width, HANG);
  wrapped.set(entry, {width, lines});
  return lines;
}

/** Index of the entry with this sequence number, or of the newest one before it (the filter may hide it). */
export function indexOfSeq(entries: readonly LogEntry[], seq: number): number {
  let lo = 0;
  let hi = entries.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.seq <= seq) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return Math.max(0, found);
}

export interface LogWindow {
  /** first entry shown */
  readonly top: number;
  /** one past the last entry shown */
  readonly end: number;
}

/**
 * Which entries fill `budget` lines so that the cursor entry is on screen: from `hint` (the previous
 * top) when the cursor is still visible from there, otherwise with the cursor on the last line.
 */
export function logWindow(heights: (index: number) => number, count: number, cursor: number, hint: number | null, budget: number): LogWindow {
  if (count === 0) return {top: 0, end: 0};
  const fill = (top: number) => {
    let used = 0;
    let end = top;
    while (end < count && used + heights(end) <= budget) used += heights(end++);
    // an entry taller than the whole view still shows its first lines
    return Math.max(end, top + 1);
  };
  if (hint !== null && hint <= cursor && hint < count) {
    const end = fill(hint);
    if (cursor < end) return {top: hint, end};
  }
  let top = cursor;
  let used = heights(cursor);
  while (top > 0 && used + heights(top - 1) <= budget) used += heights(--top);
  return {top, end: fill(top)};
}
