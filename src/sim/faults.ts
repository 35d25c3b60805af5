/**
 * Faults a simulated device can be given, per device or for a share of the fleet. Each one makes
 * the device misbehave the way real ones do, so the OTA and reliability work can prove it copes.
 */
export interface Faults {
  /** `ota.enabled` false: `$implementation/ota/enabled` false and 403 on a push (v1: no `$ota` subscription) */
  readonly otaDisabled?: boolean;
  /** free sketch space smaller than any image: 400 NOT_ENOUGH_SPACE (ESP32: 400 BAD_CHECKSUM) */
  readonly noSpace?: boolean;
  /** flash write fails once this percentage is written: 500 FLASH_ERROR */
  readonly flashErrorAt?: number;
  /** the connection drops (no DISCONNECT) at this percentage; no final status; back on the old firmware */
  readonly dropAt?: number;
  /** the device stays connected but goes silent at this percentage (no more status, no stats) */
  readonly stallAt?: number;
  /** after a successful flash the device never comes back */
  readonly neverBack?: boolean;
  /**
   * after a successful flash the device comes back on the old firmware (ESP32 silent rollback);
   * a number: it first runs the new firmware for that many seconds, then rolls back
   */
  readonly rollback?: boolean | number;
  /** sleeps `sleepSeconds`, then is awake for `awakeSeconds` (publishes `$state` sleeping first) */
  readonly sleepy?: {readonly sleepSeconds: number; readonly awakeSeconds: number};
  /** link throughput in bytes per second: OTA progress (and HTTP downloads) no faster than this */
  readonly slowLink?: number;
}

export type FaultName = 'ota-disabled' | 'no-space' | 'flash-error' | 'drop' | 'stall' | 'never-back' | 'rollback' | 'sleepy' | 'slow-link';

/** Which devices get a fault: a share of the fleet (0–1), a count, or named ids. */
export interface FaultAssignment {
  readonly faults: Faults;
  readonly share?: number;
  readonly count?: number;
  readonly ids?: readonly string[];
}

export const FAULT_HELP: ReadonlyArray<readonly [string, string]> = [
  ['ota-disabled', 'OTA disabled: 403 on a push; Homie 1.x ignores $ota'],
  ['no-space', 'not enough free sketch space: 400 NOT_ENOUGH_SPACE'],
  ['flash-error=PCT', 'the progress reaches PCT %, then the flash write fails: 500 FLASH_ERROR'],
  ['drop=PCT', 'connection lost at PCT % of a transfer; back on the old firmware'],
  ['stall=PCT', 'goes silent at PCT % of a transfer, stays connected'],
  ['never-back', 'never comes back after the reboot of a successful OTA'],
  ['rollback[=SECONDS]', 'back on the old version (ESP32 rollback), at once or after SECONDS'],
  ['sleepy=SLEEP/AWAKE', 'sleeps SLEEP seconds, awake AWAKE seconds (e.g. sleepy=60/5)'],
  ['slow-link=RATE', 'link throughput, e.g. 2K (bytes/s): slow OTA progress'],
];

function number(text: string, what: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${what}: expected a number from ${min} to ${max}, got "${text}"`);
  return value;
}

/** "40K", "2k", "1M", "1500" → bytes */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmM])?(?:i?B)?(?:\/s)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a rate; write bytes per second, e.g. 2K or 40K`);
  const value = Number(m[1]) * (m[2] ? (m[2].toLowerCase() === 'k' ? 1024 : 1024 * 1024) : 1);
  if (value <= 0) throw new Error(`"${text}": a rate must be above 0`);
  return value;
}

/** One fault as written on the command line: `name[=value]`. */
export function parseFault(text: string): Faults {
  const [name = '', value] = text.split('=', 2) as [string, string | undefined];
  const need = () => {
    if (value === undefined || value === '') throw new Error(`fault ${name} needs a value, e.g. ${name}=50`);
    return value;
  };
  switch (name as FaultName) {
    case 'ota-disabled': return {otaDisabled: true};
    case 'no-space': return {noSpace: true};
    case 'flash-error': return {flashErrorAt: number(need(), 'flash-error', 0, 100)};
    case 'drop': return {dropAt: number(need(), 'drop', 0, 100)};
    case 'stall': return {stallAt: number(need(), 'stall', 0, 100)};
    case 'never-back': return {neverBack: true};
    case 'rollback': return {rollback: value === undefined ? true : number(value, 'rollback', 0, 86_400)};
    case 'sleepy': {
      const [sleep, awake] = need().split('/');
      return {sleepy: {sleepSeconds: number(sleep ?? '', 'sleepy sleep seconds', 1, 86_400), awakeSeconds: number(awake ?? '5', 'sleepy awake seconds', 1, 3600)}};
    }
    case 'slow-link': return {slowLink: parseRate(need())};
    default:
      throw new Error(`unknown fault "${name}"; known: ${FAULT_HELP.map(([n]) => n).join(', ')}`);
  }
}

/**
 * `--fault SPEC[:WHO]`: WHO is a share ("10%"), a count ("3") or device ids ("@kitchen,hall");
 * without it the fault applies to one device.
 */
export function parseFaultAssignment(text: string): FaultAssignment {
  const colon = text.indexOf(':');
  const spec = colon >= 0 ? text.slice(0, colon) : text;
  const who = colon >= 0 ? text.slice(colon + 1).trim() : '1';
  const faults = parseFault(spec.trim());
  if (who.startsWith('@')) return {faults, ids: who.slice(1).split(',').map(s => s.trim()).filter(Boolean)};
  if (who.endsWith('%')) return {faults, share: number(who.slice(0, -1), `share of ${spec}`, 0, 100) / 100};
  return {faults, count: number(who, `device count of ${spec}`, 0, 1_000_000)};
}

/** Pick the device indices that get each assignment (seeded, so a run can be repeated). */
export function assignFaults(ids: readonly string[], assignments: readonly FaultAssignment[], random: () => number): Faults[] {
  const result: Faults[] = ids.map(() => ({}));
  for (const assignment of assignments) {
    let chosen: number[];
    if (assignment.ids) {
      chosen = assignment.ids.map(id => ids.indexOf(id)).filter(i => i >= 0);
    } else {
      const count = assignment.count ?? Math.round((assignment.share ?? 0) * ids.length);
      const order = ids.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      chosen = order.slice(0, Math.min(count, ids.length));
    }
    for (const index of chosen) result[index] = {...result[index], ...assignment.faults};
  }
  return result;
}

/** A short description for logs and summaries, e.g. "flash-error@60%, sleepy 60/5 s". */
export function describeFaults(faults: Faults): string {
  const parts: string[] = [];
  if (faults.otaDisabled) parts.push('ota-disabled');
  if (faults.noSpace) parts.push('no-space');
  if (faults.flashErrorAt !== undefined) parts.push(`flash-error@${faults.flashErrorAt}%`);
  if (faults.dropAt !== undefined) parts.push(`drop@${faults.dropAt}%`);
  if (faults.stallAt !== undefined) parts.push(`stall@${faults.stallAt}%`);
  if (faults.neverBack) parts.push('never-back');
  if (faults.rollback !== undefined && faults.rollback !== false) parts.push(faults.rollback === true ? 'rollback' : `rollback after ${faults.rollback} s`);
  if (faults.sleepy) parts.push(`sleepy ${faults.sleepy.sleepSeconds}/${faults.sleepy.awakeSeconds} s`);
  if (faults.slowLink !== undefined) parts.push(`slow-link ${Math.round(faults.slowLink)} B/s`);
  return parts.join(', ');
}
