import type React from 'react';
import {useMemo, useRef} from 'react';
import {Box, Text} from 'ink';
import type {Level, LogEntry} from '../../../engine/log.js';
import {usePersistentState, useSnapshot} from '../../context.js';
import {useKeyLayer} from '../../keyboard.js';
import {levelTone, toneColor} from '../../theme.js';
import {wrap} from '../../cells.js';
import {dateTime} from '../../time.js';
import type {ViewProps} from '../types.js';
import {entryLines, indexOfSeq, logWindow} from './log-lines.js';

const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];
const RANK: Record<Level, number> = {debug: 0, info: 1, warn: 2, error: 3};

const lineColor = (entry: LogEntry) => (entry.level === 'info' ? undefined : toneColor(levelTone[entry.level]));

/**
 * The Log view: the tail of the engine's bounded log ring, with a cursor. It follows new lines until the
 * cursor moves up; reaching the newest line, `f` or `G` follow again. Enter shows the line under the
 * cursor whole; `w` wraps every long line; `l` cycles the lowest level shown.
 */
export function LogView({height, width, isActive}: ViewProps) {
  const {log} = useSnapshot();
  const [minLevel, setMinLevel] = usePersistentState<Level>('log.level', 'debug');
  const [wrapOn, setWrapOn] = usePersistentState('log.wrap', false);
  // the sequence number of the entry under the cursor; null follows the newest
  const [cursor, setCursor] = usePersistentState<number | null>('log.cursor', null);
  const [open, setOpen] = usePersistentState<{seq: number; top: number} | null>('log.open', null);
  const previousTop = useRef<number | null>(null);

  const entries = useMemo(() => (minLevel === 'debug' ? log : log.filter(e => RANK[e.level] >= RANK[minLevel])), [log, minLevel]);
  const last = entries.length - 1;
  const at = cursor === null ? last : Math.min(last, indexOfSeq(entries, cursor));
  const budget = Math.max(1, height - 1);
  const heights = (i: number) => entryLines(entries[i]!, width, wrapOn).length;
  const hint = cursor === null || previousTop.current === null ? null : indexOfSeq(entries, previousTop.current);
  const view = logWindow(heights, entries.length, Math.max(0, at), hint, budget);
  previousTop.current = entries[view.top]?.seq ?? null;

  const opened = open ? entries.find(e => e.seq === open.seq) ?? log.find(e => e.seq === open.seq) : undefined;
  const openLines = opened ? [`${dateTime(opened.time)}  ${opened.level.toUpperCase()}  ${opened.ns}`, ...wrap(opened.message, width)] : [];
  const openMax = Math.max(0, openLines.length - budget);

  // keys that arrive before the next render move from where the last one left the cursor
  const live = useRef(at);
  live.current = at;
  const moveTo = (index: number) => {
    if (entries.length === 0) return;
    const next = Math.max(0, Math.min(last, index));
    live.current = next;
    setCursor(next >= last ? null : entries[next]!.seq);
  };
  const scrollOpen = (by: number) => setOpen(o => (o ? {seq: o.seq, top: Math.max(0, Math.min(openMax, o.top + by))} : o));
  useKeyLayer({
    scopes: open ? ['detail', 'list'] : ['log', 'list'],
    onKey: command => {
      if (open) {
        switch (command) {
          case 'nav.back': setOpen(null); return true;
          case 'nav.up': scrollOpen(-1); return true;
          case 'nav.down': scrollOpen(1); return true;
          case 'nav.pageUp': scrollOpen(-budget); return true;
          case 'nav.pageDown': scrollOpen(budget); return true;
          default: return false;
        }
      }
      switch (command) {
        case 'nav.up': moveTo(live.current - 1); return true;
        case 'nav.down': moveTo(live.current + 1); return true;
        case 'nav.pageUp': moveTo(live.current - budget); return true;
        case 'nav.pageDown': moveTo(live.current + budget); return true;
        case 'nav.top': moveTo(0); return true;
        case 'nav.bottom':
        case 'log.follow':
          live.current = last;
          setCursor(null);
          return true;
        case 'nav.open':
          if (entries[live.current]) setOpen({seq: entries[live.current]!.seq, top: 0});
          return true;
        case 'log.wrap': setWrapOn(w => !w); return true;
        case 'log.level': setMinLevel(l => LEVELS[(LEVELS.indexOf(l) + 1) % LEVELS.length]!); return true;
        default: return false;
      }
    },
  }, isActive);

  if (open) return <OpenLine lines={openLines} entry={opened} top={Math.min(open.top, openMax)} height={height} budget={budget} />;

  const status = [
    `${entries.length} lines${minLevel === 'debug' ? '' : ` (${minLevel} and above)`}`,
    cursor === null ? 'following' : `${last - at} newer below (f follows)`,
    wrapOn ? 'wrapped (w cuts)' : null,
  ].filter(Boolean).join(' · ');
  return (
    <Box flexDirection="column" height={height}>
      <Text color={toneColor('muted')} wrap="truncate-end">{status}</Text>
      {logRows(entries, view, at, isActive, width, wrapOn, budget)}
    </Box>
  );
}

/** The entries from the window's top, each on its line(s), until the rows are used; the cursor's inverse. */
function logRows(entries: readonly LogEntry[], view: {readonly top: number; readonly end: number}, at: number, isActive: boolean, width: number, wrapOn: boolean, budget: number): React.ReactNode[] {
  const rows: React.ReactNode[] = [];
  let used = 0;
  for (let i = view.top; i < view.end && used < budget; i++) {
    const entry = entries[i]!;
    const selected = i === at && isActive;
    for (const line of entryLines(entry, width, wrapOn).slice(0, budget - used)) {
      rows.push(<Text key={`${entry.seq}-${used}`} wrap="truncate-end" inverse={selected} color={lineColor(entry)}>{line}</Text>);
      used++;
    }
  }
  return rows;
}

/** Enter: the line under the cursor whole, wrapped, scrolled with j/k; or that it has left the log. */
function OpenLine({lines, entry, top, height, budget}: {readonly lines: readonly string[]; readonly entry: LogEntry | undefined; readonly top: number; readonly height: number; readonly budget: number}) {
  const shown = lines.slice(top, top + budget);
  const below = lines.length - top - shown.length;
  return (
    <Box flexDirection="column" height={height}>
      {shown.map((line, i) => <Text key={i} bold={top + i === 0} color={entry ? lineColor(entry) : undefined}>{line || ' '}</Text>)}
      <Text color={toneColor('muted')} wrap="truncate-end">
        {!entry ? 'That line has left the log (the newest 2,000 are kept). Esc goes back.' : below > 0 ? `↓ ${below} more line${below === 1 ? '' : 's'} (j/k, PgDn) · Esc back` : 'Esc back to the log'}
      </Text>
    </Box>
  );
}
