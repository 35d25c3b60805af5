import {useMemo, useState} from 'react';
import {Box, Text} from 'ink';
import {isFinal, type Job} from '../../../engine/ota/job.js';
import type {RolloutRow} from '../../../store/jobs-slice.js';
import type {DashboardSnapshot} from '../../../store/dashboard-store.js';
import {Confirm, confirmHeight} from '../../components/confirm.js';
import {useActions, usePersistentState, useSnapshot} from '../../context.js';
import {queueKeys, showOutcome, type Ask, type Item} from './queue-keys.js';
import {useKeyLayer} from '../../keyboard.js';
import {toneColor, type Tone} from '../../theme.js';
import type {ViewProps} from '../types.js';
import {jobParagraphs, rolloutParagraphs} from './details.js';
import {columnsFor, headerRow, jobRow, ROLLOUT_LOOK, rolloutRow, rolloutTone, STATE_LOOK, summaryLine} from './format.js';
import {wrap} from '../../cells.js';
import {ScrollText} from './scroll-text.js';

/** "Queue 3": the open jobs, the same number the summary line's open states add up to. */
export function queueTabLabel(snapshot: DashboardSnapshot): string {
  const open = snapshot.jobs.totals.open;
  return open > 0 ? `Queue ${open}` : 'Queue';
}

/**
 * The Queue view: rollouts (until dismissed) and jobs with state, progress, ETA and note; the totals
 * on top. Every key acts at once or says at once why it cannot. Enter shows a job's timeline or a
 * rollout whole; c cancels, r retries, p pauses or resumes, d dismisses an ended rollout, x hides or
 * shows finished jobs.
 */
export function QueueView({height, width, isActive}: ViewProps) {
  const snapshot = useSnapshot();
  const dashboard = useActions();
  const {jobs, rollouts} = snapshot.jobs;
  const [selectedId, setSelectedId] = usePersistentState<string | null>('queue.selected', null);
  const [top, setTop] = usePersistentState('queue.top', 0);
  const [detail, setDetail] = usePersistentState<string | null>('queue.detail', null);
  const [hideFinished, setHideFinished] = usePersistentState('queue.hideFinished', false);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [message, setMessage] = useState<{text: string; tone: Tone} | null>(null);

  const items = useMemo(() => listItems(rollouts, jobs, hideFinished), [rollouts, jobs, hideFinished]);
  const hidden = hideFinished ? jobs.length - snapshot.jobs.totals.open : 0;

  const index = Math.max(0, items.findIndex(item => item.id === selectedId));
  const selected = items[index];
  // an answer is read whole: wrapped, never cut
  const messageLines = useMemo(() => (message ? wrap(message.text, width).slice(0, 4) : []), [message, width]);
  const chrome = 2 + messageLines.length + (ask ? confirmHeight(ask.question, ask.detail, width) : 0);
  const budget = Math.max(1, height - chrome);
  const move = (to: number) => {
    const next = Math.max(0, Math.min(items.length - 1, to));
    if (items[next]) setSelectedId(items[next]!.id);
    setTop(t => (next < t ? next : next >= t + budget ? next - budget + 1 : t));
  };
  const say = (text: string, tone: Tone = 'warn') => setMessage({text, tone});
  const actions = queueKeys({
    selected, rollouts, readonly: snapshot.readonly, finished: jobs.length - snapshot.jobs.totals.open, hideFinished,
    actions: dashboard, say, ask: setAsk, open: setDetail, setHideFinished,
  });

  useKeyLayer({
    scopes: ['queue', 'list'],
    onKey: command => {
      // the timeline or rollout text has its own keys; this layer stays, so the list answers at once after Esc
      if (detail) return false;
      switch (command) {
        case 'nav.down': move(index + 1); return true;
        case 'nav.up': move(index - 1); return true;
        case 'nav.pageDown': move(index + budget); return true;
        case 'nav.pageUp': move(index - budget); return true;
        case 'nav.top': move(0); return true;
        case 'nav.bottom': move(items.length - 1); return true;
        default: {
          const action = command ? actions[command] : undefined;
          action?.();
          return Boolean(action);
        }
      }
    },
  }, isActive && !ask);

  const columns = useMemo(() => columnsFor(width), [width]);
  if (detail) {
    const paragraphs = detailParagraphs(detail, rollouts, jobs, snapshot.readonly);
    return <ScrollText id={detail} paragraphs={paragraphs} width={width} height={height} isActive={isActive} onBack={() => setDetail(null)} />;
  }
  const visibleTop = Math.min(top, Math.max(0, items.length - budget));
  const visible = items.slice(visibleTop, visibleTop + budget);
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end" bold>{summaryLine(snapshot.jobs, hidden)}</Text>
      <Text wrap="truncate-end" color={toneColor('muted')}>{headerRow(columns)}</Text>
      {visible.map(item => <QueueLine key={item.id} item={item} selected={item.id === selected?.id} isActive={isActive} columns={columns} now={snapshot.now} />)}
      {messageLines.map((line, i) => <Text key={`m${i}`} wrap="truncate-end" color={toneColor(message!.tone)}>{line}</Text>)}
      {ask ? (
        <Confirm
          question={ask.question}
          detail={ask.detail}
          width={width}
          onConfirm={() => {
            showOutcome(ask.run(), say);
            setAsk(null);
          }}
          onCancel={() => setAsk(null)}
        />
      ) : null}
    </Box>
  );
}

/** One line of the list: a rollout or a job, with its glyph in its tone. */
function QueueLine({item, selected, isActive, columns, now}: {
  readonly item: Item;
  readonly selected: boolean;
  readonly isActive: boolean;
  readonly columns: ReturnType<typeof columnsFor>;
  readonly now: number;
}) {
  if (item.kind === 'rollout') {
    return (
      <Text wrap="truncate-end" inverse={selected && isActive}>
        <Text color={toneColor(rolloutTone(item.row))}>{`${ROLLOUT_LOOK[item.row.rollout.state].glyph} `}</Text>
        {rolloutRow(item.row)}
      </Text>
    );
  }
  const look = STATE_LOOK[item.job.state];
  return (
    <Text wrap="truncate-end" inverse={selected && isActive} dimColor={isFinal(item.job) && !selected}>
      <Text color={toneColor(look.tone)}>{`${look.glyph} `}</Text>
      {jobRow(item.job, columns, now)}
    </Text>
  );
}

/** Rollouts first, then the jobs (the finished ones unless hidden). */
function listItems(rollouts: readonly RolloutRow[], jobs: readonly Job[], hideFinished: boolean): Item[] {
  return [
    ...rollouts.map(row => ({kind: 'rollout' as const, id: row.rollout.id, row})),
    ...jobs.filter(j => !hideFinished || !isFinal(j)).map(job => ({kind: 'job' as const, id: job.id, job})),
  ];
}

/** Enter: a rollout whole, or a job's timeline; or that it is gone. */
function detailParagraphs(id: string, rollouts: readonly RolloutRow[], jobs: readonly Job[], readonly: boolean) {
  const row = rollouts.find(r => r.rollout.id === id);
  const job = jobs.find(j => j.id === id);
  if (row) return rolloutParagraphs(row, jobs, readonly);
  return job ? jobParagraphs(job) : [{text: `${id} is no longer listed (dismissed, or finished jobs were trimmed). Esc goes back.`, tone: 'muted' as const}];
}
