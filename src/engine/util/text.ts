/**
 * Text from devices and files is untrusted: it may hold escape sequences that would drive the
 * terminal, or invisible characters that make two names look alike and shift the columns of the
 * dashboard (a terminal draws a zero-width space in no cell, its layout counts one). Everything shown
 * or logged goes through `printable`.
 */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u180E\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/**
 * Replace control characters (C0, DEL, C1), bidi overrides and marks, and invisible separators
 * (zero-width space, word joiner, soft hyphen, BOM) with a visible escape; keep tabs and newlines only
 * if asked. The joiners inside emoji and scripts (U+200C, U+200D) and variation selectors stay.
 */
export function printable(text: string, keepNewlines = false): string {
  const cleaned = text.replace(CONTROL, ch => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return keepNewlines ? cleaned : cleaned.replace(/[\n\t]/g, ' ');
}

/** Shorten to at most `max` characters, marking the cut with an ellipsis; never half of an emoji (a lone surrogate shows as �). */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
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

/**
 * Digits grouped by thousands: 20000 → "20,000", -1234.5 → "-1,234.5". Not toLocaleString: the first
 * call of that loads about 6 MB of the locale data built into Node, kept for the life of the process.
 */
export function groupDigits(n: number): string {
  const [whole, fraction] = String(n).split('.');
  return `${whole!.replace(/\B(?=(\d{3})+$)/g, ',')}${fraction === undefined ? '' : `.${fraction}`}`;
}
