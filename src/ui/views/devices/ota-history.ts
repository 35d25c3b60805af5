import type {DeviceFocus} from '../../../store/dashboard-store.js';
import {percent} from '../../../engine/ota/job.js';
import {awaitsAnnouncement, deliveryMethod} from '../../../engine/ota/plan.js';
import {humanDuration, printable} from '../../../engine/util/text.js';
import type {DetailLine} from './detail-lines.js';
import {dateTime} from '../../time.js';

/**
 * The device's OTA history in its detail: the job running now (if any), then the finished updates,
 * newest first (from → to, when, how long, result, error); says so when homie-ota cannot update the
 * device at all. `readonly`: --readonly (u does nothing then). `loading`: the inventory's load from the
 * broker runs, so a missing `$implementation/ota/enabled` may yet come.
 */
export function otaHistoryLines(focus: DeviceFocus, readonly: boolean, loading = false): DetailLine[] {
  const lines: DetailLine[] = [];
  const active = focus.activeJob;
  if (active) {
    const pct = percent(active);
    const why = active.state === 'waiting' && active.waitingFor ? `: ${active.waitingFor}` : pct !== undefined ? ` ${pct}%` : '';
    lines.push({text: `  now      ${active.id} → ${printable(active.firmware.name)} ${printable(active.firmware.version)}: ${active.state}${printable(why)}`, tone: 'info', hang: 11});
  }
  const history = focus.history;
  const device = focus.detail;
  const method = device ? deliveryMethod(device) : undefined;
  if (method !== undefined && typeof method !== 'string') {
    lines.push(loading && awaitsAnnouncement(device!)
      ? {text: '  whether it takes OTA updates is not known yet: its attributes are still arriving from the broker', tone: 'muted', hang: 2}
      : {text: `  homie-ota cannot update this device: ${method.refuse}`, tone: 'warn', hang: 2});
  }
  else if (history.length === 0 && !active) lines.push({text: `  no updates by homie-ota yet${readonly ? '' : ' (u updates this device)'}`, tone: 'muted'});
  for (const h of history) {
    const took = h.durationMs !== undefined ? ` in ${humanDuration(h.durationMs / 1000)}` : '';
    const tone = h.result === 'done' ? 'ok' : h.result === 'failed' ? 'error' : 'muted';
    const error = h.error ? `: ${printable(h.error)}` : '';
    lines.push({text: `  ${dateTime(h.time)}  ${printable(h.from)} → ${printable(h.to)}  ${h.result}${took}${error}  (${h.jobId})`, tone, hang: 4});
  }
  return lines;
}
