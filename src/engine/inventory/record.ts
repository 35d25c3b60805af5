import type {DeviceEntry} from './device.js';
import {parseBoolean, parseNumber} from './payload.js';
import type {FirmwareIndex} from './firmware-index.js';
import type {DeviceRecord, DeviceState} from './types.js';

const STATES = new Set<string>(['init', 'ready', 'disconnected', 'sleeping', 'lost', 'alert']);
const V5_STATES = new Set<string>(['init', 'ready', 'disconnected', 'sleeping', 'lost']);

/** What building a record needs besides the device itself. */
export interface RecordContext {
  readonly firmware: FirmwareIndex;
  /** the state of another device (Homie 5 children follow their root) */
  readonly stateOf: (key: string) => DeviceState | undefined;
}

/**
 * The device's lifecycle state. `$state` wins when present (3.x+); Homie 1/2 `$online` maps
 * true → ready and false → lost (false is the LWT, so a clean disconnect cannot be told apart).
 * A Homie 5 child whose root is lost counts as lost.
 */
export function stateOf(entry: DeviceEntry, context?: RecordContext): DeviceState {
  const raw = entry.get('$state');
  if (raw !== undefined) {
    const state = raw.trim();
    if (!(entry.v5 ? V5_STATES : STATES).has(state)) return 'unknown';
    if (entry.v5 && state !== 'lost' && context) {
      const root = entry.description?.root;
      if (root && root !== entry.id && context.stateOf(`${entry.prefix}/5/${root}`) === 'lost') return 'lost';
    }
    return state as DeviceState;
  }
  const online = parseBoolean(entry.get('$online'));
  if (online === true) return 'ready';
  if (online === false) return 'lost';
  return 'unknown';
}

/**
 * The Homie version: Homie 5 from `$description`, 2.0+ from `$homie`; 1.x has no version attribute and
 * is recognised by its own attribute names. Anything else is "unknown", never blank.
 */
export function homieOf(entry: DeviceEntry): string {
  if (entry.v5) return entry.description?.homie?.trim() || '5';
  const homie = entry.get('$homie')?.trim();
  if (homie) return homie.slice(0, 16);
  if (entry.topics.has('$fwname') || entry.topics.has('$fwversion') || entry.topics.has('$signal') || entry.topics.has('$uptime')) return '1.x';
  return 'unknown';
}

/** The first of several aliases that is present (newer names first). */
function first(entry: DeviceEntry, ...paths: string[]): string | undefined {
  for (const path of paths) {
    const value = entry.topics.get(path);
    if (value !== undefined) return value;
  }
  return undefined;
}

export function buildRecord(entry: DeviceEntry, context: RecordContext): DeviceRecord {
  const cached = entry.cache.record as DeviceRecord | undefined;
  if (cached) return cached;
  const state = stateOf(entry, context);
  const fwName = first(entry, '$fw/name', '$fwname');
  const fwVersion = first(entry, '$fw/version', '$fwversion');
  const latest = fwName ? context.firmware.latest(fwName) : undefined;
  const description = entry.v5 ? entry.description : null;
  const record: DeviceRecord = {
    key: entry.key,
    id: entry.id,
    prefix: entry.prefix,
    homie: homieOf(entry),
    state,
    online: state === 'ready' || state === 'init' || state === 'alert',
    confirmed: entry.confirmed,
    name: entry.get('$name') ?? description?.name,
    fw: {name: fwName, version: fwVersion, checksum: entry.get('$fw/checksum')},
    implementation: entry.get('$implementation'),
    otaEnabled: parseBoolean(entry.get('$implementation/ota/enabled')),
    otaStatus: entry.get('$implementation/ota/status'),
    ip: entry.get('$localip'),
    mac: entry.get('$mac'),
    signal: parseNumber(first(entry, '$stats/signal', '$signal')),
    uptime: parseNumber(first(entry, '$stats/uptime', '$uptime/value', '$uptime')),
    statsInterval: parseNumber(entry.get('$stats/interval')),
    lastSeen: entry.lastSeen,
    updateAvailable: context.firmware.isNewer(latest, fwVersion),
    latest,
  };
  entry.cache.record = record;
  return record;
}
