import type {RolloutWindow} from './types.js';

/**
 * A daily window of local time in which a rollout's devices may start, e.g. 02:00–05:00. A start
 * after the end crosses midnight (22:00–02:00); the same start and end means all day. Times are the
 * machine's local time (TZ), read from the wall clock each time, so a daylight-saving change moves
 * the window with the clock on the wall.
 */
const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** "02:00-05:00" (also "02:00–05:00", "2:00 - 5:00") → a window, or why not. */
export function parseWindow(text: string): RolloutWindow | {error: string} {
  const parts = text.trim().split(/\s*[-–]\s*/);
  if (parts.length !== 2 || !HHMM.test(parts[0]!) || !HHMM.test(parts[1]!)) {
    return {error: `"${text}" is not a window; write local times as HH:MM-HH:MM, e.g. 02:00-05:00 (may cross midnight: 22:00-02:00)`};
  }
  return {start: normal(parts[0]!), end: normal(parts[1]!)};
}

function normal(hhmm: string): string {
  const [, h, m] = HHMM.exec(hhmm)!;
  return `${h!.padStart(2, '0')}:${m}`;
}

function minutes(hhmm: string): number {
  const [, h, m] = HHMM.exec(hhmm)!;
  return Number(h) * 60 + Number(m);
}

/** "02:00–05:00" */
export function describeWindow(window: RolloutWindow): string {
  return `${window.start}–${window.end}`;
}

/** Whether local time `now` (ms since epoch) is inside the window. */
export function inWindow(window: RolloutWindow, now: number): boolean {
  const start = minutes(window.start);
  const end = minutes(window.end);
  if (start === end) return true;
  const date = new Date(now);
  const at = date.getHours() * 60 + date.getMinutes();
  return start < end ? at >= start && at < end : at >= start || at < end;
}

/** When the window next opens (ms since epoch): `now` itself when inside it. */
export function nextOpening(window: RolloutWindow, now: number): number {
  if (inWindow(window, now)) return now;
  const [h, m] = window.start.split(':').map(Number) as [number, number];
  const date = new Date(now);
  const today = new Date(date.getFullYear(), date.getMonth(), date.getDate(), h, m, 0, 0).getTime();
  if (today > now) return today;
  const next = new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1, h, m, 0, 0);
  return next.getTime();
}

/** "outside its window 02:00–05:00; starts at 02:00 (tomorrow)" — no countdown, so it does not change every tick. */
export function windowWait(window: RolloutWindow, now: number): string {
  const opens = nextOpening(window, now);
  const sameDay = new Date(opens).toDateString() === new Date(now).toDateString();
  return `outside its window ${describeWindow(window)} (local time); starts at ${window.start}${sameDay ? '' : ' tomorrow'}`;
}
