import {isFinal, type Job} from '../../../engine/ota/job.js';
import {describeTally, isEnded} from '../../../engine/ota/rollout-counts.js';
import {humanBytes, printable} from '../../../engine/util/text.js';
import type {RolloutRow} from '../../../store/jobs-slice.js';
import {clockTime} from '../../time.js';
import type {Paragraph} from './scroll-text.js';
import {ROLLOUT_LOOK, rolloutTone, STATE_LOOK} from './format.js';

// "17:59:05 flashing   " : a note's continuation lines start under the note
const NOTE_INDENT = 20;

/** A job whole: what it is, why it waits or failed, and every step of its timeline with the full note. */
export function jobParagraphs(job: Job): Paragraph[] {
  const look = STATE_LOOK[job.state];
  const out: Paragraph[] = [
    {text: `${look.glyph} ${job.id}  ${printable(job.deviceId)} (${printable(job.deviceKey)})  attempt ${job.attempt}`, bold: true},
    {text: `State: ${job.state}${job.error ? ` — ${printable(job.error)}` : ''}`, tone: look.tone},
  ];
  if (job.state === 'waiting' && job.waitingFor) out.push({text: `Waiting for: ${printable(job.waitingFor)}`, tone: 'warn'});
  if (job.result) out.push({text: `Result: ${printable(job.result)}`});
  if (job.retriedAs) out.push({text: `Retried as ${job.retriedAs}`});
  out.push(
    {text: `Firmware: ${printable([job.from.name, job.from.version].filter(Boolean).join(' ')) || 'unknown'} → ${printable(`${job.firmware.name} ${job.firmware.version}`)} (${printable(job.firmware.file)}, ${humanBytes(job.firmware.size)}, MD5 ${job.firmware.md5})`},
    {text: `By ${job.method === 'mqtt-push' ? 'MQTT push' : 'Homie 1.x $ota + HTTP download'}${job.rolloutId ? `, rollout ${job.rolloutId}` : ''}`},
    {text: ''},
    {text: 'Timeline', tone: 'muted'},
  );
  for (const e of job.timeline) {
    out.push({text: `${clockTime(e.time)} ${e.state.padEnd(10)} ${printable(e.note ?? '')}`, tone: STATE_LOOK[e.state].tone, indent: NOTE_INDENT});
  }
  return out;
}

/** A rollout whole: state and why, every count named, its canary, and the jobs of it still listed. */
export function rolloutParagraphs(row: RolloutRow, jobs: readonly Job[], readonly: boolean): Paragraph[] {
  const r = row.rollout;
  const look = ROLLOUT_LOOK[r.state];
  const out: Paragraph[] = [
    {text: `${look.glyph} rollout ${r.id}  ${printable(`${r.firmware.name} ${r.firmware.version}`)}  ${look.word}`, bold: true, tone: rolloutTone(row)},
    {text: `Devices: ${printable(r.scope)}`},
    {text: `Outcome: ${describeTally(row.tally)}`},
  ];
  if (r.auto) out.push({text: `Automatic: started when ${printable(r.auto.file)} was filed (${r.auto.via === 'start' ? 'found at start' : `${r.auto.via}: ${printable(r.auto.source)}`})${r.concurrency ? `; ${r.concurrency} at a time` : ''}${r.window ? `; only ${r.window.start}–${r.window.end} local time` : ''}`});
  if (r.reason) out.push({text: `${r.state === 'stopped' ? 'Stopped because' : 'Why'}: ${printable(r.reason)}`, tone: r.state === 'stopped' ? 'error' : undefined});
  const canary = r.canaryJobId ? jobs.find(j => j.id === r.canaryJobId) : undefined;
  if (r.canaryJobId) out.push({text: `Canary: ${r.canaryJobId}${canary ? ` ${printable(canary.deviceId)} (${canary.state})` : ''}${isEnded(r) ? '' : '; the others start once it is done'}`});
  out.push({text: `Stops after ${r.maxFailures} failure${r.maxFailures === 1 ? '' : 's'}; started ${clockTime(r.createdAt)}${r.endedAt ? `, ended ${clockTime(r.endedAt)}` : ''}`});
  if (!readonly) {
    out.push({text: isEnded(r) ? 'd dismisses it from the list (its jobs stay)' : 'p pauses or resumes it; c cancels what has not started', tone: 'muted'});
  }
  const own = jobs.filter(j => j.rolloutId === r.id);
  out.push({text: ''}, {text: `Jobs (${own.length} in the list${own.length < r.counts.devices ? '; finished jobs hidden with x or beyond the newest 500 are not' : ''})`, tone: 'muted'});
  for (const job of own) {
    const why = job.state === 'failed' ? job.error : job.state === 'waiting' ? job.waitingFor : isFinal(job) ? job.result ?? job.timeline.at(-1)?.note : undefined;
    out.push({text: `${STATE_LOOK[job.state].glyph} ${job.id} ${printable(job.deviceId)} ${job.state}${why ? `: ${printable(why)}` : ''}`, tone: STATE_LOOK[job.state].tone, indent: 2});
  }
  return out;
}
