import {printable, truncate} from '../../../engine/util/text.js';
import type {InventorySlice} from '../../../store/inventory-slice.js';
import {FILTER_FIELD_NAMES, type DeviceFilter} from '../../../engine/inventory/filter.js';
import {count, UNCONFIRMED_GLYPH} from './format.js';
import type {SortColumn} from './sort-keys.js';
import {SORT_MARK} from '../../theme.js';

/** "foo: not a field, searched as text; fields: id, name, …" when a term names no field; else null. */
export function unknownFieldNote(filter: DeviceFilter): string | null {
  const names = [...new Set(filter.terms.flatMap(t => (t.unknownField ? [t.unknownField] : [])))];
  if (names.length === 0) return null;
  return `${names.map(n => printable(n)).join(', ')}: not ${names.length === 1 ? 'a field' : 'fields'}, searched as text; fields: ${FILTER_FIELD_NAMES.join(', ')}`;
}

/** "attributes 12,345 of 20,000 devices": how many devices have all their retained attributes in. */
export function loadingProgress(total: number, loading: number): string {
  return `attributes ${count(Math.max(0, total - loading))} of ${count(total)} devices`;
}

/** The line above the table: counts (with the loading progress), filter, sort, marks, where the list is. */
export function statusLine(
  devices: InventorySlice,
  shown: number,
  filter: {readonly text: string; readonly invert: boolean},
  sort: {readonly column: SortColumn; readonly desc: boolean},
  marked: number,
  top: number,
  visible: number,
  note: string | null = null,
): string {
  const d = devices.discovery;
  // while attributes arrive, the count says how many devices have them all (no longer than before: fits 80 columns)
  const loading = (d.phase === 'loading' || d.phase === 'verifying') && d.loading > 0;
  const parts = [`${loading ? loadingProgress(devices.total, d.loading) : `${count(devices.total)} devices`}, ${count(devices.online)} online`];
  if (devices.unconfirmed > 0) parts.push(`${UNCONFIRMED_GLYPH} ${count(devices.unconfirmed)} not yet confirmed`);
  if (d.phase === 'offline') parts.push('broker offline: last known devices');
  else if (d.phase === 'discovering') parts.push('discovering…');
  if (filter.text || filter.invert) parts.push(`filter ${filter.invert ? 'NOT ' : ''}"${truncate(printable(filter.text), 30)}": ${count(shown)} shown${note ? ` (${note})` : ''}`);
  parts.push(`sort ${sort.column} ${sort.desc ? SORT_MARK.desc : SORT_MARK.asc}`);
  if (marked > 0) parts.push(`${count(marked)} marked`);
  if (shown > visible && visible > 0) parts.push(`${count(top + 1)}-${count(top + visible)} of ${count(shown)}`);
  return parts.join(' · ');
}

/** What to say when the table is empty, and what to do about it. */
export function emptyMessage(prefixes: readonly string[], devices: InventorySlice, text: string, invert: boolean, note: string | null = null): string {
  if (devices.total > 0) return `No device matches the filter${invert ? ' (inverted)' : ''} "${truncate(printable(text), 40)}"${note ? ` (${note})` : ''}: / changes it, Esc clears it.`;
  const under = prefixes.map(p => printable(p)).join(', ');
  if (devices.discovery.phase === 'offline') return `No devices known yet, and the broker is not connected (see the header). Devices under ${under} appear once it is.`;
  return `No devices yet under ${under}. Devices appear as soon as they publish $state, $online or $homie; wrong prefix? set MQTT_SENSOR_PREFIX or --prefix.`;
}
