import type {DeviceRecord} from '../../../engine/inventory/types.js';
import {cell, uptimeText} from './format.js';
import type {SortColumn} from './sort-keys.js';

/**
 * The table's text columns. Glyph columns (mark, state, signal, update) are drawn by the row itself.
 * Each column has a minimum and maximum width; narrow terminals drop columns by `drop` order (lowest
 * first), wide ones give the spare width to the flexible columns.
 */
export interface Column {
  readonly id: SortColumn;
  readonly title: string;
  readonly min: number;
  readonly max: number;
  /** dropped first when the terminal is narrow: lower goes first; Infinity never */
  readonly drop: number;
  readonly text: (r: DeviceRecord) => string | undefined;
  readonly align?: 'right';
}

export const COLUMNS: readonly Column[] = [
  {id: 'id', title: 'ID', min: 10, max: 28, drop: Infinity, text: r => r.id},
  {id: 'name', title: 'NAME', min: 10, max: 28, drop: 2, text: r => r.name},
  {id: 'ip', title: 'IP', min: 15, max: 15, drop: 4, text: r => r.ip},
  {id: 'uptime', title: 'UPTIME', min: 7, max: 7, drop: 5, text: r => uptimeText(r.uptime), align: 'right'},
  {id: 'fw', title: 'FIRMWARE', min: 10, max: 24, drop: 6, text: r => r.fw.name},
  {id: 'version', title: 'VERSION', min: 9, max: 14, drop: 7, text: r => r.fw.version},
  {id: 'homie', title: 'HOMIE', min: 7, max: 7, drop: 3, text: r => r.homie},
];

/** mark + space, state glyph + space, four signal bars + space */
export const LEAD_WIDTH = 9;
/** the update mark after the version (space + glyph) */
export const UPDATE_WIDTH = 2;

export interface Layout {
  readonly columns: ReadonlyArray<{readonly column: Column; readonly width: number}>;
  readonly width: number;
}

/** Fit the columns into `width` terminal cells. */
export function layoutFor(width: number): Layout {
  let chosen = [...COLUMNS];
  const needed = (cols: readonly Column[]) => LEAD_WIDTH + UPDATE_WIDTH + cols.reduce((sum, c) => sum + c.min + 1, 0);
  while (needed(chosen) > width && chosen.some(c => c.drop !== Infinity)) {
    const lowest = chosen.filter(c => c.drop !== Infinity).reduce((a, b) => (a.drop <= b.drop ? a : b));
    chosen = chosen.filter(c => c !== lowest);
  }
  const widths = chosen.map(c => c.min);
  let spare = Math.max(0, width - needed(chosen));
  // hand out spare cells one at a time to the flexible columns, in order, up to their maximum
  while (spare > 0) {
    let given = false;
    for (let i = 0; i < chosen.length && spare > 0; i++) {
      if (widths[i]! < chosen[i]!.max) {
        widths[i]!++;
        spare--;
        given = true;
      }
    }
    if (!given) break;
  }
  return {columns: chosen.map((column, i) => ({column, width: widths[i]!})), width};
}

/** The text of one column in a row. */
export function columnText(r: DeviceRecord, column: Column, width: number): string {
  const text = cell(column.text(r), width);
  return column.align === 'right' ? text.trimEnd().padStart(width) : text;
}
