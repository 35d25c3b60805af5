import {matchesFilter, type DeviceFilter} from '../../../engine/inventory/filter.js';
import type {DeviceRecord} from '../../../engine/inventory/types.js';
import {comparator, sortValue, type SortColumn} from './sort-keys.js';

/** What the user asked to see: filter and sort. Compared by identity: keep one object per change. */
export interface RowQuery {
  readonly filter: DeviceFilter;
  readonly sort: SortColumn;
  readonly desc: boolean;
}

/** The visible rows for a query, plus what the next call needs to update them cheaply. */
export interface RowSelection {
  readonly query: RowQuery;
  /** the inventory list this was computed from */
  readonly source: readonly DeviceRecord[];
  /** filtered and sorted */
  readonly rows: readonly DeviceRecord[];
  /** key → index in `rows` */
  readonly index: ReadonlyMap<string, number>;
  /** how the last call got here (tests and the benchmark look) */
  readonly how: 'full' | 'same' | 'patched' | 'resorted';
}

function full(source: readonly DeviceRecord[], query: RowQuery): RowSelection {
  const rows = source.filter(r => matchesFilter(r, query.filter));
  rows.sort(comparator(query.sort, query.desc));
  return {query, source, rows, index: indexOf(rows), how: 'full'};
}

function indexOf(rows: readonly DeviceRecord[]): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) index.set(rows[i]!.key, i);
  return index;
}

/**
 * Filter and sort the inventory for the Devices view. A 10 Hz snapshot usually changes a few records:
 * when none of them changes whether it matches or where it sorts, the previous order is kept and only
 * those records are swapped in; otherwise the previous (nearly sorted) order is re-sorted, which the
 * engine's adaptive sort does in about linear time. A full filter-and-sort happens only when the query
 * changes or devices come and go.
 */
export function selectRows(previous: RowSelection | undefined, source: readonly DeviceRecord[], query: RowQuery): RowSelection {
  if (!previous || previous.query !== query || previous.source.length !== source.length) return full(source, query);
  if (previous.source === source) return previous;
  const changed: Array<[DeviceRecord, DeviceRecord]> = [];
  for (let i = 0; i < source.length; i++) {
    const now = source[i]!;
    const before = previous.source[i]!;
    if (now === before) continue;
    if (now.key !== before.key) return full(source, query);
    changed.push([before, now]);
  }
  if (changed.length === 0) return {...previous, source, how: 'same'};
  let reorder = false;
  for (const [before, now] of changed) {
    if (matchesFilter(before, query.filter) !== matchesFilter(now, query.filter) || sortValue(before, query.sort) !== sortValue(now, query.sort)) {
      reorder = true;
      break;
    }
  }
  if (!reorder) {
    const rows = previous.rows.slice();
    for (const [, now] of changed) {
      const at = previous.index.get(now.key);
      if (at !== undefined) rows[at] = now;
    }
    return {query, source, rows, index: previous.index, how: 'patched'};
  }
  const changedKeys = new Map(changed.map(([, now]) => [now.key, now] as const));
  const rows: DeviceRecord[] = [];
  for (const r of previous.rows) {
    const now = changedKeys.get(r.key);
    if (!now) rows.push(r);
    else if (matchesFilter(now, query.filter)) rows.push(now);
  }
  for (const [before, now] of changed) {
    if (!previous.index.has(before.key) && matchesFilter(now, query.filter)) rows.push(now);
  }
  rows.sort(comparator(query.sort, query.desc));
  return {query, source, rows, index: indexOf(rows), how: 'resorted'};
}
