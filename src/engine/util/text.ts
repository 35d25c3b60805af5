/**
 * Text from devices and files is untrusted: it may hold escape sequences that would drive the
 * terminal. Everything shown or logged goes through `printable`.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/** Replace control characters (C0, DEL, C1, bidi overrides) with a visible escape; keep tabs and newlines only if asked. */
export function printable(text: string, keepNewlines = false): string {
  const cleaned = text.replace(CONTROL, ch => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return keepNewlines ? cleaned : cleaned.replace(/[\n\t]/g, ' ');
}

/** Shorten to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Seconds → "3d 4h", "2h 5m", "5m 12s", "12s". */
export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** Bytes → "512 B", "4.0 KiB", "1.2 MiB". */
export function humanBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
