import type {DeviceRecord} from '../../../engine/inventory/types.js';
import {printable} from '../../../engine/util/text.js';
import type {SortColumn} from './sort-keys.js';

/** Pure parts of the Devices view: where the list is, what a key changes, what a dialog asks. */

export interface SortState {
  readonly column: SortColumn;
  readonly desc: boolean;
}

export interface FilterState {
  readonly text: string;
  readonly invert: boolean;
}

/** The row under the cursor: it follows its device (key) through sorting; `index` is where it was. */
export interface Cursor {
  readonly key: string | null;
  readonly index: number;
}

/** What `u` updates, and those devices in words ("3 marked devices", "relay-1", …). */
export interface UpdateTarget {
  readonly keys: readonly string[];
  readonly scope: string;
}

/** What covers the list: the filter prompt, the forget question, or the update dialog. */
export type Overlay =
  | {readonly kind: 'filter'; readonly before: FilterState}
  | {readonly kind: 'forget'; readonly key: string}
  | {readonly kind: 'update'; readonly target: UpdateTarget};

/** The cursor's row: its device's place when it is still listed, else the place it had (within the list). */
export function cursorIndex(cursor: Cursor, index: ReadonlyMap<string, number>, count: number): number {
  const found = cursor.key === null ? undefined : index.get(cursor.key);
  return count === 0 ? 0 : Math.min(found ?? cursor.index, count - 1);
}

/** The first row on screen: `offset` kept where it can be, moved just enough to show the cursor. */
export function windowTop(offset: number, index: number, count: number, budget: number): number {
  let top = Math.min(offset, Math.max(0, count - budget));
  if (index < top) top = index;
  if (index >= top + budget) top = index - budget + 1;
  return top;
}

/** The cursor moved to row `i`; paging (`scroll`) scrolls by a page too, so the cursor keeps its place on the screen. */
export function moveTo(rows: readonly DeviceRecord[], i: number, top: number, budget: number, scroll = 0): {cursor: Cursor; offset: number} {
  const next = Math.max(0, Math.min(rows.length - 1, i));
  const was = Math.max(0, Math.min(top + scroll, rows.length - budget));
  const offset = next < was ? next : next >= was + budget ? next - budget + 1 : was;
  return {cursor: {key: rows[next]?.key ?? null, index: next}, offset};
}

/** The next sort column among those shown (`step` 1 or -1), keeping the direction. */
export function cycleSort(sort: SortState, columns: readonly SortColumn[], step: number): SortState {
  const at = Math.max(0, columns.indexOf(sort.column));
  return {column: columns[(at + step + columns.length) % columns.length]!, desc: sort.desc};
}

export function toggleMark(marks: ReadonlySet<string>, key: string): ReadonlySet<string> {
  const next = new Set(marks);
  if (next.has(key)) next.delete(key);
  else next.add(key);
  return next;
}

/** Marks every row shown; when all are marked already, unmarks them. */
export function toggleAll(marks: ReadonlySet<string>, rows: readonly DeviceRecord[]): ReadonlySet<string> {
  const next = new Set(marks);
  const all = rows.every(r => next.has(r.key));
  for (const r of rows) {
    if (all) next.delete(r.key);
    else next.add(r.key);
  }
  return next;
}

/**
 * What `u` in the list updates: the marked devices still known; else every device the filter shows
 * (a rollout); else the one under the cursor. A string says why there is nothing to update.
 */
export function updateTarget(marked: readonly string[], rows: readonly DeviceRecord[], here: DeviceRecord | undefined, filter: FilterState | null): UpdateTarget | string {
  const plural = (n: number) => (n === 1 ? '' : 's');
  if (marked.length > 0) return {keys: marked, scope: `${marked.length} marked device${plural(marked.length)}`};
  if (filter && rows.length > 0) return {keys: rows.map(r => r.key), scope: `${rows.length} device${plural(rows.length)} matching "${filter.invert ? '!' : ''}${filter.text}"`};
  if (here) return {keys: [here.key], scope: here.id};
  return 'nothing to update: the list is empty';
}

export function forgetQuestion(key: string, online: boolean): {question: string; detail: string} {
  return {
    question: `Forget ${printable(key)}? Its retained topics are cleared on the broker.`,
    detail: online ? 'It is online: if it keeps running it will announce itself again.' : 'It disappears from the inventory; a device that publishes again comes back.',
  };
}
