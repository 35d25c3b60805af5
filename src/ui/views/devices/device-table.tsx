import {memo} from 'react';
import {Text} from 'ink';
import type {DeviceRecord} from '../../../engine/inventory/types.js';
import {fit, padCells} from '../../cells.js';
import {colorsOn, SORT_MARK, toneColor} from '../../theme.js';
import {dim, paint} from './ansi.js';
import {columnText, LEAD_WIDTH, UPDATE_WIDTH, type Layout} from './columns.js';
import {signalBar, stateLook} from './format.js';
import type {SortColumn} from './sort-keys.js';

/** The column titles, each with a sort mark (˄ ˅) beside the title of the sort column. */
export function headerText(layout: Layout, sort: SortColumn, desc: boolean): string {
  const mark = desc ? SORT_MARK.desc : SORT_MARK.asc;
  const titled = (id: SortColumn, title: string) => (id === sort ? `${title}${mark}` : title);
  let text = padCells(`  ${titled('state', 'S')}`, 5) + padCells(titled('signal', 'SIG'), LEAD_WIDTH - 5);
  const update = padCells(titled('update', '↑'), UPDATE_WIDTH);
  for (const {column, width} of layout.columns) {
    text += `${fit(titled(column.id, column.title), width, column.align)} `;
    if (column.id === 'version') text += update;
  }
  if (!layout.columns.some(c => c.column.id === 'version')) text += update;
  return text;
}

export function TableHeader({layout, sort, desc}: {readonly layout: Layout; readonly sort: SortColumn; readonly desc: boolean}) {
  return <Text bold color={toneColor('muted')} wrap="truncate-end">{headerText(layout, sort, desc)}</Text>;
}

export interface RowProps {
  readonly record: DeviceRecord;
  readonly layout: Layout;
  readonly selected: boolean;
  readonly marked: boolean;
  /** left out of automatic rollouts: P in the mark column (a mark shows over it) */
  readonly pinned?: boolean;
}

/** The text of one row, colours included (one Text node per row keeps Ink's work per frame small). */
export function rowText(record: DeviceRecord, layout: Layout, marked: boolean, color = colorsOn(), pinned = false): string {
  const look = stateLook(record);
  const bar = signalBar(record.signal);
  const faint = !record.confirmed;
  const update = paint(record.updateAvailable ? '↑' : ' ', 'warn', color, true);
  const mark = marked ? paint('✓', 'marked', color, true) : paint(pinned ? 'P' : ' ', 'warn', color, true);
  let text = `${mark} ${paint(look.glyph, look.tone, color)}  ${paint(bar.text, bar.tone, color)} `;
  let cells = '';
  let updateShown = false;
  for (const {column, width} of layout.columns) {
    cells += `${columnText(record, column, width)} `;
    if (column.id === 'version') {
      text += `${faint ? dim(cells) : cells}${update}  `;
      cells = '';
      updateShown = true;
    }
  }
  text += faint ? dim(cells) : cells;
  return updateShown ? text : `${text}${update}`;
}

/** One device: a single Text; memoised so unchanged rows cost nothing. The cursor row is inverse video. */
export const DeviceRow = memo(function DeviceRow({record, layout, selected, marked, pinned = false}: RowProps) {
  return <Text wrap="truncate-end" inverse={selected}>{rowText(record, layout, marked, colorsOn(), pinned)}</Text>;
});
