import type {DeviceRecord} from '../../../engine/inventory/types.js';
import {printable} from '../../../engine/util/text.js';
import {cellWidth, fit} from '../../cells.js';
import {uptimeText} from './format.js';
import type {SortColumn} from './sort-keys.js';

/**
 * The table's text columns. Glyph columns (mark, state, signal, update) are drawn by the row itself.
 * Widths are terminal cells and follow the content: a column is as wide as its longest value (within
 * `max`), so a column of short IPs leaves its room to the IDs.
 */
export interface Column {
  readonly id: SortColumn;
  readonly title: string;
  /** the narrowest it is still useful at; undefined: shown whole or not at all */
  readonly min?: number;
  readonly max: number;
  /** dropped first when the terminal is narrow: lower goes first; Infinity never */
  readonly drop: number;
  /** dropped, rather than cutting the ID, when the IDs need the room */
  readonly yieldsToId?: boolean;
  readonly text: (r: DeviceRecord) => string | undefined;
  readonly align?: 'right';
}

export const COLUMNS: readonly Column[] = [
  {id: 'id', title: 'ID', min: 10, max: 32, drop: Infinity, text: r => r.id},
  {id: 'name', title: 'NAME', min: 10, max: 28, drop: 2, yieldsToId: true, text: r => r.name},
  {id: 'ip', title: 'IP', max: 15, drop: 4, text: r => r.ip},
  {id: 'uptime', title: 'UPTIME', max: 8, drop: 5, text: r => uptimeText(r.uptime), align: 'right'},
  {id: 'fw', title: 'FIRMWARE', min: 9, max: 24, drop: 6, text: r => r.fw.name},
  {id: 'version', title: 'VERSION', max: 14, drop: 7, text: r => r.fw.version},
  {id: 'homie', title: 'HOMIE', max: 7, drop: 3, yieldsToId: true, text: r => r.homie},
];

/** Who gets spare cells first, after the ID: values that are useless when cut, then the rest. */
const ROOM_ORDER: readonly SortColumn[] = ['id', 'ip', 'uptime', 'version', 'homie', 'fw', 'name'];

/** mark + space, state glyph + two spaces (room for the sort mark beside S), four signal bars + space */
export const LEAD_WIDTH = 10;
/** the update mark after the version, and room for the sort mark beside its title */
export const UPDATE_WIDTH = 3;

export interface Layout {
  readonly columns: ReadonlyArray<{readonly column: Column; readonly width: number}>;
  readonly width: number;
}

/** What a column shows in a row: device text made safe. */
export function columnValue(r: DeviceRecord, column: Column): string {
  return printable(column.text(r) ?? '');
}

const widthCache = new WeakMap<DeviceRecord, number[]>();

/** The widest value of each column over these rows (records are immutable: each is measured once). */
export function contentWidths(rows: readonly DeviceRecord[]): number[] {
  const widest = COLUMNS.map(() => 0);
  for (const r of rows) {
    let widths = widthCache.get(r);
    if (!widths) widthCache.set(r, (widths = COLUMNS.map(c => cellWidth(columnValue(r, c)))));
    for (let i = 0; i < widths.length; i++) if (widths[i]! > widest[i]!) widest[i] = widths[i]!;
  }
  return widest;
}

/**
 * Fit the columns into `width` terminal cells for these rows (their widest values, from
 * contentWidths). Columns are dropped by `drop` order while their least useful widths do not fit,
 * then NAME and HOMIE make way for IDs that would be cut; spare cells go to the ID first.
 */
export function layoutFor(width: number, widest: readonly number[] = []): Layout {
  const title = (c: Column) => cellWidth(c.title) + 1; // the sort mark beside it
  const natural = new Map(COLUMNS.map((c, i) => [c, Math.min(c.max, Math.max(title(c), widest[i] ?? 0))]));
  const least = (c: Column) => (c.min === undefined ? natural.get(c)! : Math.min(natural.get(c)!, Math.max(c.min, title(c))));
  const id = COLUMNS[0]!;
  const sum = (cols: readonly Column[], w: (c: Column) => number) => LEAD_WIDTH + UPDATE_WIDTH + cols.reduce((total, c) => total + w(c) + 1, 0);
  const dropLowest = (cols: Column[], may: (c: Column) => boolean) => {
    const candidates = cols.filter(c => c.drop !== Infinity && may(c));
    if (candidates.length === 0) return null;
    const lowest = candidates.reduce((a, b) => (a.drop <= b.drop ? a : b));
    return cols.filter(c => c !== lowest);
  };

  let chosen = [...COLUMNS];
  while (sum(chosen, least) > width) {
    const next = dropLowest(chosen, () => true);
    if (!next) break;
    chosen = next;
  }
  const idWhole = (c: Column) => (c === id ? natural.get(id)! : least(c));
  while (sum(chosen, idWhole) > width) {
    const next = dropLowest(chosen, c => Boolean(c.yieldsToId));
    if (!next) break;
    chosen = next;
  }

  const widths = new Map(chosen.map(c => [c, least(c)]));
  let spare = width - sum(chosen, least);
  if (spare < 0) widths.set(id, Math.max(1, least(id) + spare));
  for (const columnId of ROOM_ORDER) {
    const c = chosen.find(x => x.id === columnId);
    if (!c || spare <= 0) continue;
    const given = Math.min(spare, natural.get(c)! - widths.get(c)!);
    widths.set(c, widths.get(c)! + given);
    spare -= given;
  }
  return {columns: chosen.map(column => ({column, width: widths.get(column)!})), width};
}

/** The text of one column in a row, exactly `width` cells. */
export function columnText(r: DeviceRecord, column: Column, width: number): string {
  return fit(columnValue(r, column), width, column.align);
}
