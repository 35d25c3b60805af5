import {etaSeconds, type Job} from '../engine/ota/job.js';

/**
 * Seconds until every open job is through, from what the finished ones took — or undefined when
 * nothing predicts it, so the Queue never shows a number that is not going to come true:
 * - a job waits for its device to come back or wake, a paused rollout, the broker or the inventory
 *   (a free transfer slot or the canary can be foreseen; those can not);
 * - no update has been done yet to measure by;
 * - a device takes longer than the average to come back (it may never): the guess is past, not late.
 * Computed anew each time it is asked (the store asks at least once a second).
 */
export function queueEta(open: readonly Job[], finished: readonly Job[], concurrency: number, now: number): number | undefined {
  if (open.length === 0) return undefined;
  const measured = finished.filter(j => j.state === 'done' && j.sentAt !== undefined && j.finishedAt !== undefined);
  // a whole update, and the part after the device said "flashed" (reboot, report, verification)
  const whole = average(measured.map(j => j.finishedAt! - j.sentAt!));
  const afterFlash = average(measured.filter(j => j.flashedAt !== undefined).map(j => j.finishedAt! - j.flashedAt!));
  let longest = 0;
  let queued = 0;
  for (const job of open) {
    let left: number | undefined;
    switch (job.state) {
      case 'queued':
        queued++;
        continue;
      case 'waiting':
        if (job.waitKind !== 'slot' && job.waitKind !== 'canary') return undefined;
        queued++;
        continue;
      case 'sending':
      case 'flashing': {
        const transfer = etaSeconds(job, now);
        if (transfer !== undefined && afterFlash !== undefined) left = transfer + afterFlash;
        else if (whole !== undefined && job.sentAt !== undefined) left = whole - (now - job.sentAt) / 1000;
        break;
      }
      case 'verifying':
        // an ESP32 waiting for its rollback re-check knows when that is
        left = etaSeconds(job, now) ?? since(afterFlash, job.flashedAt, now);
        break;
      default:
        left = since(afterFlash, job.flashedAt, now);
    }
    if (left === undefined || left < 0) return undefined;
    longest = Math.max(longest, left);
  }
  if (queued > 0 && whole === undefined) return undefined;
  return Math.round(longest + Math.ceil(queued / Math.max(1, concurrency)) * (whole ?? 0));
}

/** Seconds left of a `typical` span (seconds) that began at `from`. */
function since(typical: number | undefined, from: number | undefined, now: number): number | undefined {
  return typical === undefined || from === undefined ? undefined : typical - (now - from) / 1000;
}

/** Mean in seconds of durations in ms. */
function average(durations: readonly number[]): number | undefined {
  return durations.length === 0 ? undefined : durations.reduce((a, b) => a + b, 0) / durations.length / 1000;
}
