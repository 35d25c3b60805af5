import {humanBytes, printable} from '../../../engine/util/text.js';
import {cellWidth, cut, fit} from '../../cells.js';
import {dayOrClock} from '../../time.js';
import type {FirmwareRow} from '../../../store/firmware-slice.js';

/**
 * Pre-formatted rows of the Firmware view: columns that fit the terminal width, the name only on the
 * first (newest) row of each name, and whatever room is left for the description. Name and version
 * columns are as wide as the longest value (within limits), so short names leave room for text.
 */
interface Column {
  readonly title: string;
  readonly right?: boolean;
  readonly cell: (row: FirmwareRow, now: number) => string;
}

const COLUMNS: Record<string, Column> = {
  NAME: {title: 'NAME', cell: row => (row.firstOfName ? row.record.name : '')},
  VERSION: {title: 'VERSION', cell: row => row.record.version},
  SIZE: {title: 'SIZE', right: true, cell: row => humanBytes(row.record.size)},
  CHIP: {title: 'CHIP', cell: row => row.record.chip},
  GZ: {title: 'GZ', cell: row => (row.record.gzip ? 'gz' : '')},
  MD5: {title: 'MD5', cell: row => row.record.md5.slice(0, 8)},
  ADDED: {title: 'ADDED', cell: (row, now) => dayOrClock(row.record.added, now)},
  DEVS: {title: 'DEVS', right: true, cell: row => String(row.devices)},
};

export interface TableLayout {
  readonly width: number;
  readonly columns: ReadonlyArray<{readonly column: Column; readonly width: number}>;
  /** characters left for the description (0: no description column) */
  readonly description: number;
}

/** Column widths for these rows at this terminal width; narrow terminals drop MD5 and date, then chip. */
export function tableLayout(rows: readonly FirmwareRow[], width: number, now = Date.now()): TableLayout {
  const longest = (pick: (row: FirmwareRow) => string, min: number, max: number) => Math.max(min, Math.min(max, Math.max(0, ...rows.map(r => cellWidth(printable(pick(r)))))));
  const widths: Record<string, number> = {
    NAME: longest(r => r.record.name, 8, 24),
    VERSION: longest(r => r.record.version, 7, 16),
    SIZE: 9, CHIP: 8, GZ: 2, MD5: 8, DEVS: 4,
    // the time today (8), the date before (10)
    ADDED: longest(r => COLUMNS.ADDED!.cell(r, now), 5, 10),
  };
  const drop = width < 56 ? ['MD5', 'ADDED', 'CHIP', 'GZ'] : width < 72 ? ['MD5', 'ADDED'] : [];
  const names = Object.keys(COLUMNS).filter(name => !drop.includes(name));
  let used = names.reduce((sum, name) => sum + widths[name]! + 1, 0) - 1;
  // give the name back what the row cannot hold
  if (used > width) {
    widths.NAME = Math.max(6, widths.NAME! - (used - width));
    used = names.reduce((sum, name) => sum + widths[name]! + 1, 0) - 1;
  }
  const description = width - used - 1;
  return {width, columns: names.map(name => ({column: COLUMNS[name]!, width: widths[name]!})), description: description >= 6 ? description : 0};
}

export function headerLine(layout: TableLayout): string {
  const cells = layout.columns.map(c => fit(c.column.title, c.width, c.column.right ? 'right' : 'left'));
  return fit(`${cells.join(' ')}${layout.description ? ' DESCRIPTION' : ''}`, layout.width);
}

export function rowLine(row: FirmwareRow, layout: TableLayout, now: number): string {
  const cells = layout.columns.map(c => fit(printable(c.column.cell(row, now)), c.width, c.column.right ? 'right' : 'left'));
  const text = layout.description ? ` ${cut(printable(row.record.description), layout.description)}` : '';
  return fit(`${cells.join(' ')}${text}`, layout.width);
}
