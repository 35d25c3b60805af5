import {etaSeconds, isFinal, percent, type Job, type JobState} from '../../../engine/ota/job.js';
import {describeTally, isEnded} from '../../../engine/ota/rollout-counts.js';
import type {Rollout} from '../../../engine/ota/types.js';
import {humanBytes, humanDuration, printable} from '../../../engine/util/text.js';
import {cut, fit} from '../../cells.js';
import type {JobsSlice, RolloutRow} from '../../../store/jobs-slice.js';
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

/**
 * The summary line: "12 jobs: 7 done · 1 failed · 2 active · 1 verifying · 1 waiting · ETA 3m 0s · 2 at
 * a time". Every state is named; the open ones add up to the tab's number. "active" is what holds a
 * transfer slot (sending, flashing), the same the scheduler limits to "N at a time".
 */
export function summaryLine(slice: JobsSlice, hiddenFinished = 0): string {
  const t = slice.totals;
  if (t.total === 0 && slice.rollouts.length === 0) return 'No OTA jobs. Mark devices in the Devices view (Space) and press u to update them.';
  const parts = ([
    [t.done, 'done'], [t.failed, 'failed'], [t.cancelled, 'cancelled'], [t.skipped, 'skipped (up to date)'],
    [t.active, 'active'], [t.rebooting, 'rebooting'], [t.verifying, 'verifying'], [t.waiting, 'waiting'],
  ] as const).filter(([n]) => n > 0).map(([n, label]) => `${n} ${label}`);
  const eta = etaText(slice.etaSeconds);
  if (eta) parts.push(`ETA ${eta}`);
  parts.push(`${slice.concurrency} at a time`);
  const hidden = hiddenFinished > 0 ? ` (${hiddenFinished} finished hidden: x shows them)` : '';
  return `${t.total} job${t.total === 1 ? '' : 's'}${hidden}: ${parts.join(' · ')}`;
}

export const ROLLOUT_LOOK: Record<Rollout['state'], {glyph: string; tone: Tone; word: string}> = {
  running: {glyph: '»', tone: 'accent', word: 'running'},
  paused: {glyph: '‖', tone: 'warn', word: 'paused (p resumes)'},
  stopped: {glyph: '✗', tone: 'error', word: 'stopped'},
  done: {glyph: '✓', tone: 'ok', word: 'finished'},
  cancelled: {glyph: '–', tone: 'muted', word: 'cancelled'},
};

/** A rollout as one line (cut to the width; Enter shows it whole): state, firmware, counts, why it stopped. */
export function rolloutRow(row: RolloutRow): string {
  const r = row.rollout;
  const look = ROLLOUT_LOOK[r.state];
  const limit = isEnded(r) ? '' : ` · stops after ${r.maxFailures} failure${r.maxFailures === 1 ? '' : 's'}`;
  const reason = r.reason ? ` · ${r.reason}` : '';
  return printable(`${r.id.padEnd(6)} ${look.word}: ${r.auto ? 'auto ' : ''}${r.firmware.name} ${r.firmware.version} · ${describeTally(row.tally)}${limit}${reason} · ${r.scope}`);
}

/** The tone of a rollout's line: a finished rollout with failures is not shown as all well. */
export function rolloutTone(row: RolloutRow): Tone {
  return row.rollout.state === 'done' && (row.tally.failed > 0 || row.tally.cancelled > 0) ? 'warn' : ROLLOUT_LOOK[row.rollout.state].tone;
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
  const retried = job.retriedAs ? `retried as ${job.retriedAs}; ` : '';
  const note = retried + (job.state === 'failed' ? job.error ?? '' : job.state === 'waiting' ? job.waitingFor ?? '' : isFinal(job) ? job.result ?? lastNote(job) : liveNote(job, now));
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
