import {DeviceEntry} from './device.js';
import {MAX_DEVICES, MAX_VALUE_LENGTH} from './limits.js';
import {isDeviceId} from './topics.js';

/**
 * The Python homie-ota kept inventory.json as {id: {attribute without "$": value}} with a few derived
 * keys. Turn it into our entries (unconfirmed, under the first configured prefix) so an upgrade keeps
 * the device list. Under Python 3 values were written as "b'…'"; that wrapping is removed.
 */
const MAP: Record<string, string> = {
  online: '$online', state: '$state', homie: '$homie', name: '$name', localip: '$localip', mac: '$mac',
  nodes: '$nodes', implementation: '$implementation', stats: '$stats', uptime: '$stats/uptime', signal: '$stats/signal',
};

export function importOriginal(doc: Record<string, unknown>, prefix: string): DeviceEntry[] {
  const entries: DeviceEntry[] = [];
  for (const [id, attrs] of Object.entries(doc)) {
    if (entries.length >= MAX_DEVICES) break;
    if (!isDeviceId(id) || typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) continue;
    const values = attrs as Record<string, unknown>;
    const entry = new DeviceEntry(prefix, id, false, false);
    const isV1 = values.homie === undefined;
    for (const [key, raw] of Object.entries(values)) {
      if (typeof raw !== 'string' && typeof raw !== 'number') continue;
      const value = unwrap(String(raw)).slice(0, MAX_VALUE_LENGTH);
      if (value === '') continue;
      if (key === 'fwname') entry.set(isV1 ? '$fwname' : '$fw/name', value);
      else if (key === 'fwversion') entry.set(isV1 ? '$fwversion' : '$fw/version', value);
      else if (key === 'uptime' || key === 'signal') entry.set(isV1 ? `$${key}` : MAP[key]!, value);
      else if (MAP[key]) entry.set(MAP[key]!, value);
    }
    if (entry.topics.size > 0) entries.push(entry);
  }
  return entries;
}

function unwrap(value: string): string {
  const m = /^b'(.*)'$/s.exec(value) ?? /^b"(.*)"$/s.exec(value);
  return m ? m[1]! : value;
}
