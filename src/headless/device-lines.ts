import type {DeviceRecord, DeviceState} from '../engine/inventory/types.js';
import {humanDuration, printable} from '../engine/util/text.js';

export type DeviceChange = 'appeared' | 'lost' | 'back' | 'firmware' | 'removed';

/** One line about one device, for a sysadmin reading the journal. */
export interface DeviceLine {
  readonly change: DeviceChange;
  readonly level: 'info' | 'warn';
  /** the text when it is printed (a device that just appeared has sent more of its attributes by then) */
  readonly text: () => string;
}

interface Known {
  readonly state: DeviceState;
  readonly fw: string;
  /** when it went offline (for "back after 5m 2s") */
  readonly offlineSince?: number;
}

/** "ready, relay 1.0.0, 10.0.0.5": what a sysadmin wants to know of a device that appeared. */
function facts(record: DeviceRecord): string {
  return printable([record.state, firmwareOf(record) || 'firmware not reported yet', record.ip ?? ''].filter(Boolean).join(', '));
}

/** Gone without a goodbye (lost: the broker's will) or with one (disconnected). Asleep is not gone. */
const OFFLINE: ReadonlySet<DeviceState> = new Set(['lost', 'disconnected']);
const ONLINE: ReadonlySet<DeviceState> = new Set(['ready', 'init', 'alert']);

/** "relay 1.0.0" once both are known (name and version arrive as separate messages); '' before. Not yet printable. */
const firmwareOf = (record: DeviceRecord) => (record.fw.name && record.fw.version ? `${record.fw.name} ${record.fw.version}` : '');

/**
 * Turns inventory changes into the lines worth printing: a device appears, goes lost or disconnects,
 * comes back, runs other firmware, or leaves the inventory. It remembers two facts per device and
 * looks only at the devices it is told about, so a change costs the same with 20 or 20,000 devices.
 */
export class DeviceChanges {
  readonly #known = new Map<string, Known>();
  #online = 0;

  /** Start from what the inventory holds now (inventory.json, or nothing): those are not news. */
  constructor(records: Iterable<DeviceRecord>) {
    for (const record of records) this.#remember(record, undefined);
  }

  get total(): number {
    return this.#known.size;
  }

  get online(): number {
    return this.#online;
  }

  /** The lines for these changed devices (`get` reads a device's current record). */
  update(keys: readonly string[], get: (key: string) => DeviceRecord | undefined, now: number): DeviceLine[] {
    const lines: DeviceLine[] = [];
    for (const key of keys) {
      const line = this.#one(key, get(key), get, now);
      if (line) lines.push(line);
    }
    return lines;
  }

  #one(key: string, record: DeviceRecord | undefined, get: (key: string) => DeviceRecord | undefined, now: number): DeviceLine | null {
    // the texts are made only when printed: in a burst most lines are only counted
    const before = this.#known.get(key);
    if (!record) {
      if (!before) return null;
      this.#forget(key, before);
      return {change: 'removed', level: 'info', text: () => `${printable(key)} left the inventory (forgotten, or its topics were cleared)`};
    }
    this.#remember(record, before, now);
    if (!before) return {change: 'appeared', level: 'info', text: () => `${printable(key)} appeared (${facts(get(key) ?? record)})`};
    const state = record.state;
    if (OFFLINE.has(state) && !OFFLINE.has(before.state)) return {change: 'lost', level: 'warn', text: () => `${printable(key)} is ${state} (was ${before.state})`};
    const fw = firmwareOf(record);
    const runs = fw && before.fw && fw !== before.fw ? () => printable(`now runs ${fw} (was ${before.fw})`) : null;
    if (OFFLINE.has(before.state) && ONLINE.has(state)) {
      const away = before.offlineSince !== undefined ? now - before.offlineSince : undefined;
      return {
        change: runs ? 'firmware' : 'back',
        level: 'info',
        text: () => `${printable(key)} is back: ${state}${away !== undefined ? ` after ${humanDuration(away / 1000) || '0s'}` : ''} (was ${before.state})${runs ? `; ${runs()}` : ''}`,
      };
    }
    return runs ? {change: 'firmware', level: 'info', text: () => `${printable(key)} ${runs()}`} : null;
  }

  #remember(record: DeviceRecord, before: Known | undefined, now?: number): void {
    const fw = firmwareOf(record);
    const offline = OFFLINE.has(record.state);
    const offlineSince = offline ? (before && OFFLINE.has(before.state) ? before.offlineSince : now) : undefined;
    this.#online += Number(record.online) - Number(before ? ONLINE.has(before.state) : false);
    // an unknown firmware (not reported yet) does not overwrite a known one
    this.#known.set(record.key, {state: record.state, fw: fw || before?.fw || '', offlineSince});
  }

  #forget(key: string, before: Known): void {
    this.#known.delete(key);
    if (ONLINE.has(before.state)) this.#online--;
  }
}
