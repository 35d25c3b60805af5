import {useMemo, useRef, useState} from 'react';
import {Box, Text} from 'ink';
import type {DashboardSnapshot} from '../../../store/dashboard-store.js';
import {isEmptyFilter, parseFilter} from '../../../engine/inventory/filter.js';
import {useEngine, usePersistentState, useSnapshot} from '../../context.js';
import {useKeyLayer} from '../../keyboard.js';
import {Confirm, confirmHeight} from '../../components/confirm.js';
import type {ViewProps} from '../types.js';
import {useTableLayout} from './use-table-layout.js';
import {DeviceDetailView} from './device-detail.js';
import {DeviceRow, TableHeader} from './device-table.js';
import {FilterPrompt} from './filter-prompt.js';
import {selectRows, type RowQuery, type RowSelection} from './select.js';
import {SORT_COLUMNS, type SortColumn} from './sort-keys.js';
import {statusLine, emptyMessage, unknownFieldNote} from './status-line.js';
import {printable} from '../../../engine/util/text.js';
import {UpdateDialog} from '../update/update-dialog.js';
import {useNavigate} from '../../navigation.js';
import {toneColor} from '../../theme.js';
import {useSay} from '../../say.js';

export function devicesTabLabel(snapshot: DashboardSnapshot): string {
  return `Devices ${snapshot.devices.online}/${snapshot.devices.total}`;
}

/**
 * Keys of the marked devices, shared through usePersistentState under this key (a ReadonlySet of
 * device keys such as "homie/kitchen"): the OTA work reads it for `u`.
 */
export const MARKS_KEY = 'devices.marks';

interface SortState {
  readonly column: SortColumn;
  readonly desc: boolean;
}

interface FilterState {
  readonly text: string;
  readonly invert: boolean;
}

/**
 * The Devices view: a live table of every device (only the visible rows are drawn; filtering and
 * sorting are cached selectors), and the detail of one device on Enter.
 */
export function DevicesView({height, width, isActive}: ViewProps) {
  const engine = useEngine();
  const snapshot = useSnapshot();
  const {devices} = snapshot;
  const [sort, setSort] = usePersistentState<SortState>('devices.sort', {column: 'id', desc: false});
  const [filter, setFilter] = usePersistentState<FilterState>('devices.filter', {text: '', invert: false});
  const [marks, setMarks] = usePersistentState<ReadonlySet<string>>(MARKS_KEY, () => new Set());
  const [cursor, setCursor] = usePersistentState<{key: string | null; index: number}>('devices.cursor', {key: null, index: 0});
  const [offset, setOffset] = usePersistentState('devices.offset', 0);
  const [detailKey, setDetailKey] = usePersistentState<string | null>('devices.detail', null);
  const [, setDetailOffset] = usePersistentState('devices.detailOffset', 0);
  const [prompt, setPrompt] = useState<{before: FilterState} | null>(null);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [update, setUpdate] = useState<{keys: string[]; scope: string} | null>(null);
  const navigate = useNavigate();
  const say = useSay();

  const query = useMemo<RowQuery>(() => ({filter: parseFilter(filter.text, filter.invert), sort: sort.column, desc: sort.desc}), [filter, sort]);
  const previous = useRef<RowSelection | undefined>(undefined);
  const selection = useMemo(() => selectRows(previous.current, devices.devices, query), [devices.devices, query]);
  previous.current = selection;
  const rows = selection.rows;

  // the cursor follows its device through sorting and updates; if the device goes, it stays in place
  const found = cursor.key === null ? undefined : selection.index.get(cursor.key);
  const index = rows.length === 0 ? 0 : Math.min(found ?? cursor.index, rows.length - 1);
  const forgetText = confirm ? forgetQuestion(confirm, engine.inventory.get(confirm)?.online ?? false) : null;
  const dialogLines = forgetText ? confirmHeight(forgetText.question, forgetText.detail, width) : 0;
  const budget = Math.max(1, height - 2 - dialogLines);
  let top = Math.min(offset, Math.max(0, rows.length - budget));
  if (index < top) top = index;
  if (index >= top + budget) top = index - budget + 1;
  const visible = rows.slice(top, top + budget);
  const layout = useTableLayout(selection, visible, width, snapshot.now);

  const moveTo = (i: number, scroll = 0) => {
    const next = Math.max(0, Math.min(rows.length - 1, i));
    // paging scrolls by a page too, so the cursor keeps its place on the screen
    const was = Math.max(0, Math.min(top + scroll, rows.length - budget));
    const nextTop = next < was ? next : next >= was + budget ? next - budget + 1 : was;
    setCursor({key: rows[next]?.key ?? null, index: next});
    setOffset(nextTop);
  };

  const visibleSort = SORT_COLUMNS.filter(c => c === 'state' || c === 'signal' || c === 'update' || layout.columns.some(l => l.column.id === c));
  const cycleSort = (step: number) => setSort(previousSort => {
    const at = Math.max(0, visibleSort.indexOf(previousSort.column));
    return {column: visibleSort[(at + step + visibleSort.length) % visibleSort.length]!, desc: previousSort.desc};
  });

  // the marked devices; else every device the filter shows (a rollout); else the one under the cursor
  const updateFromList = () => {
    const marked = [...marks].filter(k => engine.inventory.get(k));
    const here = rows[index];
    if (marked.length > 0) setUpdate({keys: marked, scope: `${marked.length} marked device${marked.length === 1 ? '' : 's'}`});
    else if (!isEmptyFilter(query.filter) && rows.length > 0) setUpdate({keys: rows.map(r => r.key), scope: `${rows.length} device${rows.length === 1 ? '' : 's'} matching "${filter.invert ? '!' : ''}${filter.text}"`});
    else if (here) setUpdate({keys: [here.key], scope: here.id});
    else say('nothing to update: the list is empty');
  };

  const inDetail = detailKey !== null;
  const filtered = !isEmptyFilter(query.filter);
  useKeyLayer({
    // with a filter set, how to clear it comes first (the footer keeps the first hints that fit)
    scopes: filtered ? ['filter', 'devices', 'list'] : ['devices', 'list'],
    onKey: command => {
      const at = index;
      const here = rows[at];
      switch (command) {
        case 'nav.up': moveTo(at - 1); return true;
        case 'nav.down': moveTo(at + 1); return true;
        case 'nav.pageUp': moveTo(at - budget, -budget); return true;
        case 'nav.pageDown': moveTo(at + budget, budget); return true;
        case 'nav.top': moveTo(0); return true;
        case 'nav.bottom': moveTo(rows.length - 1); return true;
        case 'nav.open':
          if (here) {
            setDetailOffset(0);
            setDetailKey(here.key);
          }
          return true;
        case 'devices.sortPrev': cycleSort(-1); return true;
        case 'devices.sortNext': cycleSort(1); return true;
        case 'devices.sortInvert': setSort(s => ({column: s.column, desc: !s.desc})); return true;
        case 'devices.filter':
          setPrompt({before: filter});
          return true;
        case 'devices.filterInvert': setFilter(f => ({text: f.text, invert: !f.invert})); return true;
        case 'devices.mark':
          if (here) {
            setMarks(previousMarks => {
              const next = new Set(previousMarks);
              if (next.has(here.key)) next.delete(here.key);
              else next.add(here.key);
              return next;
            });
            moveTo(at + 1);
          }
          return true;
        case 'devices.markAll':
          // marks every row shown; pressed again when all are marked, unmarks them
          setMarks(previousMarks => {
            const next = new Set(previousMarks);
            const all = rows.every(r => next.has(r.key));
            for (const r of rows) {
              if (all) next.delete(r.key);
              else next.add(r.key);
            }
            return next;
          });
          return true;
        case 'devices.clearMarks': setMarks(new Set()); return true;
        case 'devices.forget':
          if (here) setConfirm(here.key);
          return true;
        case 'devices.update': updateFromList(); return true;
        case 'devices.clearFilter': setFilter({text: '', invert: false}); return true;
        default: return false;
      }
    },
  }, isActive && !inDetail && !update);

  const forget = (key: string) => {
    setConfirm(null);
    const next = new Set(marks);
    if (next.delete(key)) setMarks(next);
    engine.notice('inventory', 'info', `forgetting ${printable(key)}: clearing its retained topics on the broker…`);
    void engine.inventory.forget(key).then(result => {
      if (!result.ok) engine.notice('inventory', 'warn', result.message);
    });
  };
  if (update) {
    const chosen = update.keys.map(k => engine.inventory.get(k)).filter(d => d !== undefined);
    return (
      <Box flexDirection="column" height={height}>
        <UpdateDialog
          devices={chosen}
          scope={update.scope}
          height={height}
          width={width}
          onCancel={() => setUpdate(null)}
          onDone={(message, queued) => {
            setUpdate(null);
            engine.notice('ota', queued ? 'info' : 'warn', message);
            if (queued) navigate('queue');
          }}
        />
      </Box>
    );
  }
  if (inDetail) {
    const record = engine.inventory.get(detailKey);
    const updateThis = () => (record ? setUpdate({keys: [record.key], scope: record.id}) : say(`${printable(detailKey)} is no longer in the inventory: nothing to update`));
    return <DeviceDetailView deviceKey={detailKey} record={record} now={snapshot.now} height={height} width={width} isActive={isActive} onBack={() => setDetailKey(null)} onUpdate={updateThis} />;
  }
  const note = unknownFieldNote(query.filter);
  const empty = rows.length === 0 ? emptyMessage(engine, devices, filter.text, filter.invert, note) : null;
  return (
    <Box flexDirection="column" height={height}>
      {prompt ? (
        <FilterPrompt
          value={filter.text}
          note={note}
          width={width}
          onChange={text => setFilter({text, invert: filter.invert})}
          onDone={() => setPrompt(null)}
          onCancel={() => {
            setFilter(prompt.before);
            setPrompt(null);
          }}
        />
      ) : (
        <Text wrap="truncate-end" color={toneColor('muted')}>{statusLine(devices, rows.length, filter, sort, marks.size, top, visible.length, note)}</Text>
      )}
      <TableHeader layout={layout} sort={sort.column} desc={sort.desc} />
      {empty ? <Text color={toneColor('warn')}>{empty}</Text> : null}
      {visible.map((record, i) => (
        <DeviceRow key={record.key} record={record} layout={layout} selected={top + i === index} marked={marks.has(record.key)} />
      ))}
      {confirm && forgetText ? (
        <Confirm
          question={forgetText.question}
          detail={forgetText.detail}
          width={width}
          onConfirm={() => forget(confirm)}
          onCancel={() => setConfirm(null)}
        />
      ) : null}
    </Box>
  );
}

function forgetQuestion(key: string, online: boolean): {question: string; detail: string} {
  return {
    question: `Forget ${printable(key)}? Its retained topics are cleared on the broker.`,
    detail: online ? 'It is online: if it keeps running it will announce itself again.' : 'It disappears from the inventory; a device that publishes again comes back.',
  };
}
