/**
 * The one way the dashboard writes a moment: local time, `2026-11-29 16:51:19` (year first, 24-hour
 * clock: unambiguous in every locale). Where a column has no room for it, its date part (other days)
 * or its time part (today) stands alone; nothing else is ever used.
 */
const two = (n: number) => String(n).padStart(2, '0');

function parts(time: number): {date: string; clock: string} {
  const d = new Date(time);
  return {
    date: `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`,
    clock: `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`,
  };
}

/** "2026-11-29 16:51:19" */
export function dateTime(time: number): string {
  const p = parts(time);
  return `${p.date} ${p.clock}`;
}

/** "16:51:19": the time part alone, for lines that are nearly always from today (log, timelines). */
export function clockTime(time: number): string {
  return parts(time).clock;
}

/** "16:51:19" today, "2026-11-29" another day: for a column of at most 10 cells. */
export function dayOrClock(time: number, now: number): string {
  const p = parts(time);
  return p.date === parts(now).date ? p.clock : p.date;
}
