import {memo} from 'react';
import {Text} from 'ink';
import type {DeviceRecord} from '../../../engine/inventory/types.js';
import {colors} from '../../theme.js';
import {colorsOn, dim, paint} from './ansi.js';
import {columnText, type Layout} from './columns.js';
import {signalBar, stateLook} from './format.js';
import type {SortColumn} from './sort-keys.js';

/** The column titles, with ▲/▼ on the sort column. */
export function TableHeader({layout, sort, desc}: {readonly layout: Layout; readonly sort: SortColumn; readonly desc: boolean}) {
  const arrow = desc ? '▼' : '▲';
  const lead = `  ${sort === 'state' ? arrow : 'S'} ${sort === 'signal' ? `SIG${arrow}` : 'SIG '} `;
  let text = lead;
  for (const {column, width} of layout.columns) {
    const title = column.id === sort ? `${column.title}${arrow}` : column.title;
    text += `${column.align === 'right' ? title.padStart(width) : title.padEnd(width)} `;
    if (column.id === 'version') text += sort === 'update' ? `${arrow} ` : '↑ ';
  }
  if (!layout.columns.some(c => c.column.id === 'version')) text += sort === 'update' ? `${arrow} ` : '↑ ';
  return <Text bold color={colors.muted} wrap="truncate-end">{text}</Text>;
}

export interface RowProps {
  readonly record: DeviceRecord;
  readonly layout: Layout;
  readonly selected: boolean;
  readonly marked: boolean;
}

/** The text of one row, colours included (one Text node per row keeps Ink's work per frame small). */
export function rowText(record: DeviceRecord, layout: Layout, marked: boolean, color = colorsOn()): string {
  const look = stateLook(record);
  const bar = signalBar(record.signal);
  const faint = !record.confirmed;
  const update = paint(record.updateAvailable ? '↑' : ' ', 'warn', color, true);
  let text = `${paint(marked ? '✓' : ' ', 'marked', color, true)} ${paint(look.glyph, look.tone, color)} ${paint(bar.text, bar.tone, color)} `;
  let cells = '';
  let updateShown = false;
  for (const {column, width} of layout.columns) {
    cells += `${columnText(record, column, width)} `;
    if (column.id === 'version') {
      text += `${dim(cells, faint && color)}${update} `;
      cells = '';
      updateShown = true;
    }
  }
  text += dim(cells, faint && color);
  return updateShown ? text : `${text}${update}`;
}

/** One device: a single Text; memoised so unchanged rows cost nothing. */
export const DeviceRow = memo(function DeviceRow({record, layout, selected, marked}: RowProps) {
  return <Text wrap="truncate-end" inverse={selected}>{rowText(record, layout, marked)}</Text>;
});
