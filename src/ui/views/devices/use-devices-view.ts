import {useMemo, useRef, useState} from 'react';
import {isEmptyFilter, parseFilter} from '../../../engine/inventory/filter.js';
import type {DeviceRecord} from '../../../engine/inventory/types.js';
import {printable} from '../../../engine/util/text.js';
import {deviceByKey} from '../../../store/inventory-slice.js';
import type {DashboardSnapshot} from '../../../store/dashboard-store.js';
import {useActions, usePersistentState, useSnapshot, useStore} from '../../context.js';
import {useKeyLayer} from '../../keyboard.js';
import type {Command} from '../../keymap.js';
import {confirmHeight} from '../../components/confirm.js';
import {useNavigate} from '../../navigation.js';
import {useSay} from '../../say.js';
import type {Layout} from './columns.js';
import {cursorIndex, cycleSort, forgetQuestion, moveTo, toggleAll, toggleMark, updateTarget, windowTop,
  type Cursor, type FilterState, type Overlay, type SortState, type UpdateTarget} from './devices-model.js';
import {selectRows, type RowQuery, type RowSelection} from './select.js';
import {SORT_COLUMNS} from './sort-keys.js';
import {useTableLayout} from './use-table-layout.js';

/**
 * Keys of the marked devices, shared through usePersistentState under this key (a ReadonlySet of
 * device keys such as "homie/kitchen"): the OTA work reads it for `u`.
 */
export const MARKS_KEY = 'devices.marks';

/** Everything the Devices view draws, and what its dialogs do. */
export interface DevicesViewModel {
  readonly snapshot: DashboardSnapshot;
  readonly query: RowQuery;
  readonly sort: SortState;
  readonly filter: FilterState;
  readonly marks: ReadonlySet<string>;
  /** keys of pinned devices */
  readonly pinned: ReadonlySet<string>;
  /** P: pin these devices, or unpin them when all are pinned */
  readonly pin: (keys: readonly string[]) => void;
  readonly rows: readonly DeviceRecord[];
  readonly visible: readonly DeviceRecord[];
  readonly top: number;
  readonly index: number;
  readonly layout: Layout;
  readonly overlay: Overlay | null;
  readonly forgetText: {readonly question: string; readonly detail: string} | null;
  readonly detailKey: string | null;
  readonly setFilterText: (text: string) => void;
  readonly closeOverlay: () => void;
  readonly cancelFilter: () => void;
  readonly forget: (key: string) => void;
  readonly updateDone: (message: string, queued: boolean) => void;
  readonly closeDetail: () => void;
  /** u in the detail */
  readonly updateDetail: () => void;
}

/** The Devices view's state (kept across view switches), its rows and window, and its keys. */
export function useDevicesView(height: number, width: number, isActive: boolean): DevicesViewModel {
  const snapshot = useSnapshot();
  const actions = useActions();
  const store = useStore();
  const navigate = useNavigate();
  const say = useSay();
  const [sort, setSort] = usePersistentState<SortState>('devices.sort', {column: 'id', desc: false});
  const [filter, setFilter] = usePersistentState<FilterState>('devices.filter', {text: '', invert: false});
  const [marks, setMarks] = usePersistentState<ReadonlySet<string>>(MARKS_KEY, () => new Set());
  const [cursor, setCursor] = usePersistentState<Cursor>('devices.cursor', {key: null, index: 0});
  const [offset, setOffset] = usePersistentState('devices.offset', 0);
  const [detailKey, setDetailKey] = usePersistentState<string | null>('devices.detail', null);
  const [, setDetailOffset] = usePersistentState('devices.detailOffset', 0);
  const [overlay, setOverlay] = useState<Overlay | null>(null);

  const query = useMemo<RowQuery>(() => ({filter: parseFilter(filter.text, filter.invert), sort: sort.column, desc: sort.desc}), [filter, sort]);
  const selection = useSelection(snapshot.devices.devices, query);
  const rows = selection.rows;
  const index = cursorIndex(cursor, selection.index, rows.length);
  const forgetText = overlay?.kind === 'forget' ? forgetQuestion(overlay.key, deviceByKey(snapshot.devices, overlay.key)?.online ?? false) : null;
  const budget = Math.max(1, height - 2 - (forgetText ? confirmHeight(forgetText.question, forgetText.detail, width) : 0));
  const top = windowTop(offset, index, rows.length, budget);
  const visible = rows.slice(top, top + budget);
  const layout = useTableLayout(selection, visible, width, snapshot.now);
  const filtered = !isEmptyFilter(query.filter);
  const known = (keys: readonly string[]) => keys.filter(k => deviceByKey(snapshot.devices, k));
  const pinned = useMemo(() => new Set(snapshot.policies.pins), [snapshot.policies.pins]);
  const pin = (keys: readonly string[]) => {
    if (keys.length === 0) return;
    const unpin = keys.every(key => pinned.has(key));
    void actions.setPinned(keys, !unpin).then(result => say(result.message), (error: unknown) => say(`cannot change the pin: ${(error as Error).message}`));
  };
  const openUpdate = (target: UpdateTarget | string) => (typeof target === 'string' ? say(target) : setOverlay({kind: 'update', target}));

  const onKey = listKeys({
    rows, index, top, budget, filter,
    sortColumns: SORT_COLUMNS.filter(c => c === 'state' || c === 'signal' || c === 'update' || layout.columns.some(l => l.column.id === c)),
    move: (i, scroll) => {
      const moved = moveTo(rows, i, top, budget, scroll);
      setCursor(moved.cursor);
      setOffset(moved.offset);
    },
    open: key => {
      store.focusDevice(key);
      setDetailOffset(0);
      setDetailKey(key);
    },
    setSort, setFilter, setMarks, setOverlay,
    update: () => openUpdate(updateTarget(known([...marks]), rows, rows[index], filtered ? filter : null)),
    pin: () => pin(marks.size > 0 ? known([...marks]) : rows[index] ? [rows[index].key] : []),
  });
  // with a filter set, how to clear it comes first (the footer keeps the first hints that fit)
  useKeyLayer({scopes: filtered ? ['filter', 'devices', 'list'] : ['devices', 'list'], onKey}, isActive && detailKey === null && overlay?.kind !== 'update');

  return {
    snapshot, query, sort, filter, marks, pinned, pin, rows, visible, top, index, layout, overlay, forgetText, detailKey,
    setFilterText: text => setFilter({text, invert: filter.invert}),
    closeOverlay: () => setOverlay(null),
    cancelFilter: () => {
      if (overlay?.kind === 'filter') setFilter(overlay.before);
      setOverlay(null);
    },
    forget: key => {
      setOverlay(null);
      if (marks.has(key)) setMarks(toggleMark(marks, key));
      void actions.forgetDevice(key);
    },
    updateDone: (message, queued) => {
      setOverlay(null);
      void actions.notice('ota', queued ? 'info' : 'warn', message);
      if (queued) navigate('queue');
    },
    closeDetail: () => setDetailKey(null),
    updateDetail: () => {
      const record = detailKey === null ? undefined : deviceByKey(snapshot.devices, detailKey);
      openUpdate(record ? {keys: [record.key], scope: record.id} : `${printable(detailKey ?? '')} is no longer in the inventory: nothing to update`);
    },
  };
}

/** Filter and sort, updating the previous selection cheaply (select.ts). */
function useSelection(devices: readonly DeviceRecord[], query: RowQuery): RowSelection {
  const previous = useRef<RowSelection | undefined>(undefined);
  const selection = useMemo(() => selectRows(previous.current, devices, query), [devices, query]);
  previous.current = selection;
  return selection;
}

type Setter<T> = (update: T | ((previous: T) => T)) => void;

interface ListKeys {
  readonly rows: readonly DeviceRecord[];
  readonly index: number;
  readonly top: number;
  readonly budget: number;
  readonly filter: FilterState;
  /** the sort columns shown, in order */
  readonly sortColumns: readonly SortColumn[];
  readonly move: (i: number, scroll?: number) => void;
  readonly open: (key: string) => void;
  readonly setSort: Setter<SortState>;
  readonly setFilter: Setter<FilterState>;
  readonly setMarks: Setter<ReadonlySet<string>>;
  readonly setOverlay: (overlay: Overlay) => void;
  readonly update: () => void;
  readonly pin: () => void;
}

type SortColumn = SortState['column'];

/** The list's keys: move, open, sort, filter, mark, forget, update. */
function listKeys(k: ListKeys): (command: Command | undefined) => boolean {
  return command => {
    const at = k.index;
    const here = k.rows[at];
    switch (command) {
      case 'nav.up': k.move(at - 1); return true;
      case 'nav.down': k.move(at + 1); return true;
      case 'nav.pageUp': k.move(at - k.budget, -k.budget); return true;
      case 'nav.pageDown': k.move(at + k.budget, k.budget); return true;
      case 'nav.top': k.move(0); return true;
      case 'nav.bottom': k.move(k.rows.length - 1); return true;
      case 'nav.open': if (here) k.open(here.key); return true;
      case 'devices.sortPrev': k.setSort(s => cycleSort(s, k.sortColumns, -1)); return true;
      case 'devices.sortNext': k.setSort(s => cycleSort(s, k.sortColumns, 1)); return true;
      case 'devices.sortInvert': k.setSort(s => ({column: s.column, desc: !s.desc})); return true;
      case 'devices.filter': k.setOverlay({kind: 'filter', before: k.filter}); return true;
      case 'devices.filterInvert': k.setFilter(f => ({text: f.text, invert: !f.invert})); return true;
      case 'devices.mark':
        if (here) {
          k.setMarks(marks => toggleMark(marks, here.key));
          k.move(at + 1);
        }
        return true;
      case 'devices.markAll': k.setMarks(marks => toggleAll(marks, k.rows)); return true;
      case 'devices.clearMarks': k.setMarks(new Set()); return true;
      case 'devices.forget': if (here) k.setOverlay({kind: 'forget', key: here.key}); return true;
      case 'devices.update': k.update(); return true;
      case 'devices.pin': k.pin(); return true;
      case 'devices.clearFilter': k.setFilter({text: '', invert: false}); return true;
      default: return false;
    }
  };
}
