import {etaSeconds, isFinal, percent, type Job, type JobState} from '../../../engine/ota/job.js';
import {humanBytes, humanDuration, printable} from '../../../engine/util/text.js';
import {cut, fit} from '../../cells.js';
import type {JobsSlice} from '../../../store/jobs-slice.js';
import type {Tone} from '../../theme.js';

export const STATE_LOOK: Record<JobState, {glyph: string; tone: Tone}> = {
  queued: {glyph: '·', tone: 'muted'},
  waiting: {glyph: '◷', tone: 'warn'},
  sending: {glyph: '↑', tone: 'accent'},
  flashing: {glyph: '▶', tone: 'accent'},
  rebooting: {glyph: '↻', tone: 'accent'},
  // not '?': that is a device whose state cannot be told
  verifying: {glyph: '≟', tone: 'accent'},
  done: {glyph: '✓', tone: 'ok'},
  failed: {glyph: '✗', tone: 'error'},
  cancelled: {glyph: '–', tone: 'muted'},
  skipped: {glyph: '=', tone: 'muted'},
};

/** "███████░░░░░" of `width` cells for a fraction 0–1. */
export function bar(fraction: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export function etaText(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 1) return '<1s';
  return humanDuration(seconds);
}

/** The summary line: "7/12 done · 1 failed · 2 active · 2 waiting · ETA 3m 0s". */
export function summaryLine(slice: JobsSlice): string {
  const t = slice.totals;
  if (t.total === 0) return 'No OTA jobs. Mark devices in the Devices view (space) and press u to update them.';
  const parts = [`${t.done}/${t.total - t.cancelled - t.skipped} done`];
  if (t.failed) parts.push(`${t.failed} failed`);
  if (t.active) parts.push(`${t.active} active`);
  if (t.waiting) parts.push(`${t.waiting} waiting`);
  if (t.skipped) parts.push(`${t.skipped} up to date`);
  if (t.cancelled) parts.push(`${t.cancelled} cancelled`);
  const eta = etaText(slice.etaSeconds);
  if (eta) parts.push(`ETA ${eta}`);
  parts.push(`${slice.concurrency} at a time`);
  return parts.join(' · ');
}

export interface Columns {
  readonly device: number;
  readonly firmware: number;
  readonly bar: number;
  readonly note: number;
}

/** Column widths for a terminal width (the note column takes what is left). */
export function columnsFor(width: number): Columns {
  const wide = width >= 100;
  const device = wide ? 14 : 12;
  // "demo-relay 3.2.0" must fit: the version is what a user checks first
  const firmware = wide ? 18 : 17;
  const barWidth = wide ? 8 : 4;
  // glyph+space, id 6+1, device+1, firmware+1, state 10, bar+pct 6, eta 7: the note gets the rest
  const fixed = 2 + 7 + device + 1 + firmware + 1 + 10 + barWidth + 6 + 7;
  return {device, firmware, bar: barWidth, note: Math.max(0, width - fixed)};
}

export function headerRow(c: Columns): string {
  return `  ${'JOB'.padEnd(6)} ${'DEVICE'.padEnd(c.device)} ${'FIRMWARE'.padEnd(c.firmware)} ${'STATE'.padEnd(10)}${'PROGRESS'.padEnd(c.bar + 6)}${'ETA'.padEnd(7)}NOTE`;
}

/** One job as one pre-padded line (the glyph is drawn separately, in colour). */
export function jobRow(job: Job, c: Columns, now: number): string {
  const pct = percent(job);
  const progress = pct === undefined ? ''.padEnd(c.bar + 6) : `${bar(pct / 100, c.bar)} ${String(pct).padStart(3)}% `;
  const eta = !isFinal(job) ? etaText(etaSeconds(job, now)) : '';
  const note = job.state === 'failed' ? job.error ?? '' : job.state === 'waiting' ? job.waitingFor ?? '' : isFinal(job) ? job.result ?? lastNote(job) : liveNote(job, now);
  return [
    job.id.padEnd(6),
    fit(printable(job.deviceId), c.device),
    fit(printable(`${job.firmware.name} ${job.firmware.version}`), c.firmware),
    job.state.padEnd(10),
  ].join(' ') + progress + eta.padEnd(7) + cut(printable(note), c.note);
}

function lastNote(job: Job): string {
  return job.timeline.at(-1)?.note ?? '';
}

function liveNote(job: Job, now: number): string {
  if (job.progress && job.state === 'flashing') {
    return `${humanBytes(job.progress.done)} of ${humanBytes(job.progress.total)}`;
  }
  const since = Math.round((now - job.updatedAt) / 1000);
  return `${lastNote(job)}${since > 5 ? ` (${humanDuration(since)})` : ''}`;
}
