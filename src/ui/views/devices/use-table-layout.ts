import {useMemo, useRef} from 'react';
import type {DeviceRecord} from '../../../engine/inventory/types.js';
import {contentWidths, layoutFor, type Layout} from './columns.js';
import type {RowSelection} from './select.js';

/** Up to this many rows, every value is measured on every change (well under a millisecond). */
const MEASURE_ALL_UP_TO = 2000;
/** Above it, all rows are measured again at most this often, or when the set of rows changes. */
const REMEASURE_MS = 2000;

/**
 * The table layout for the rows shown: column widths follow the widest values of every row, so the
 * columns do not jump while scrolling. A 20,000-row fleet under live updates would cost several ms
 * per snapshot to measure: there, all rows are measured when the filter, the sort or the set of
 * devices changes and at most every 2 s, and the rows on screen always (a long ID scrolled into
 * view gets its room at once; widths shrink at the next full pass).
 */
export function useTableLayout(selection: RowSelection, visible: readonly DeviceRecord[], width: number, now: number): Layout {
  const all = useRef<{rows: readonly DeviceRecord[] | null; at: number; widest: number[]}>({rows: null, at: -Infinity, widest: []});
  const rows = selection.rows;
  const last = all.current;
  if (last.rows !== rows && (rows.length <= MEASURE_ALL_UP_TO || selection.how === 'full' || now - last.at >= REMEASURE_MS)) {
    all.current = {rows, at: now, widest: contentWidths(rows)};
  }
  const onScreen = contentWidths(visible);
  const widest = all.current.widest.map((w, i) => Math.max(w, onScreen[i] ?? 0)).join(',');
  return useMemo(() => layoutFor(width, widest.split(',').map(Number)), [width, widest]);
}
