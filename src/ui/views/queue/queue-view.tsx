import {useMemo, useState} from 'react';
import {Box, Text} from 'ink';
import {cannotCancel, isFinal, type Job} from '../../../engine/ota/job.js';
import {isEnded} from '../../../engine/ota/rollout-counts.js';
import {printable} from '../../../engine/util/text.js';
import type {DashboardSnapshot} from '../../../store/dashboard-store.js';
import type {RolloutRow} from '../../../store/jobs-slice.js';
import {Confirm, confirmHeight} from '../../components/confirm.js';
import {useActions, usePersistentState, useSnapshot} from '../../context.js';
import type {ActionOutcome} from '../../../store/actions.js';
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

/** A line of the list: a rollout (they come first) or a job. */
type Item = {readonly kind: 'rollout'; readonly id: string; readonly row: RolloutRow} | {readonly kind: 'job'; readonly id: string; readonly job: Job};

interface Ask {
  readonly question: string;
  readonly detail?: string;
  readonly run: () => Promise<ActionOutcome>;
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

  const items = useMemo<Item[]>(() => [
    ...rollouts.map(row => ({kind: 'rollout' as const, id: row.rollout.id, row})),
    ...jobs.filter(j => !hideFinished || !isFinal(j)).map(job => ({kind: 'job' as const, id: job.id, job})),
  ], [rollouts, jobs, hideFinished]);
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
  const outcome = (answer: Promise<ActionOutcome>) => void answer.then(
    result => say(result.message, result.ok ? 'ok' : 'warn'),
    (error: unknown) => say(`homie-ota could not be asked: ${(error as Error).message}`, 'error'),
  );
  const rolloutOf = (item: Item | undefined) => (item?.kind === 'rollout' ? item.row.rollout : item?.kind === 'job' && item.job.rolloutId ? rollouts.find(r => r.rollout.id === item.job.rolloutId)?.rollout : undefined);

  const actions: Record<string, () => void> = {
    'nav.open': () => (selected ? setDetail(selected.id) : say('nothing to open: the queue is empty')),
    'queue.cancel': () => {
      if (!selected) return say('nothing to cancel: no job or rollout is selected');
      if (selected.kind === 'rollout') {
        const r = selected.row.rollout;
        if (isEnded(r)) return say(`rollout ${r.id} is ${ROLLOUT_LOOK[r.state].word}: nothing left to cancel (d dismisses it)`);
        return setAsk({
          question: `Cancel rollout ${r.id} (${r.firmware.name} ${r.firmware.version})?`,
          detail: `${selected.row.tally.waiting} job(s) that have not started are cancelled; ${selected.row.tally.active + selected.row.tally.rebooting + selected.row.tally.verifying} already on their device finish and are verified.`,
          run: () => dashboard.setRolloutState(r.id, 'cancelled'),
        });
      }
      const job = selected.job;
      // at once, from the job as listed; the cancel itself checks again
      const refusal = snapshot.readonly ? 'read-only mode (--readonly)' : cannotCancel(job);
      if (refusal) return say(refusal);
      setAsk({
        question: `Cancel ${job.id}: ${printable(job.deviceId)} → ${job.firmware.name} ${job.firmware.version}?`,
        detail: job.rolloutId ? `It belongs to rollout ${job.rolloutId}; p pauses the whole rollout instead.` : undefined,
        run: () => dashboard.cancelJob(job.id),
      });
    },
    'queue.retry': () => {
      if (selected?.kind !== 'job') return say(selected ? `r retries a job: select a failed or cancelled job of rollout ${selected.id}` : 'nothing to retry: no job is selected');
      outcome(dashboard.retryJob(selected.job.id));
    },
    'queue.pause': () => {
      const rollout = rolloutOf(selected);
      if (!rollout) return say(selected ? `${selected.id} is not part of a rollout: p pauses and resumes rollouts` : 'nothing to pause: no rollout is selected');
      outcome(dashboard.setRolloutState(rollout.id, rollout.state === 'paused' ? 'running' : 'paused'));
    },
    'queue.dismiss': () => {
      const rollout = rolloutOf(selected);
      if (!rollout) return say(selected ? `${selected.id} is not part of a rollout: d dismisses a rollout that has ended` : 'nothing to dismiss: no rollout is selected');
      outcome(dashboard.dismissRollout(rollout.id));
    },
    'queue.toggleFinished': () => {
      setHideFinished(!hideFinished);
      const finished = jobs.length - snapshot.jobs.totals.open;
      say(hideFinished ? `showing ${finished} finished job(s) again` : `${finished} finished job(s) hidden; x shows them again (each device keeps its history)`, 'info');
    },
  };

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
    const back = () => setDetail(null);
    const row = rollouts.find(r => r.rollout.id === detail);
    const job = jobs.find(j => j.id === detail);
    const paragraphs = row ? rolloutParagraphs(row, jobs, snapshot.readonly) : job ? jobParagraphs(job) : [{text: `${detail} is no longer listed (dismissed, or finished jobs were trimmed). Esc goes back.`, tone: 'muted' as const}];
    return <ScrollText id={detail} paragraphs={paragraphs} width={width} height={height} isActive={isActive} onBack={back} />;
  }
  const visibleTop = Math.min(top, Math.max(0, items.length - budget));
  const visible = items.slice(visibleTop, visibleTop + budget);
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end" bold>{summaryLine(snapshot.jobs, hidden)}</Text>
      <Text wrap="truncate-end" color={toneColor('muted')}>{headerRow(columns)}</Text>
      {visible.map(item => {
        const isSelected = item.id === selected?.id;
        if (item.kind === 'rollout') {
          const tone = rolloutTone(item.row);
          return (
            <Text key={item.id} wrap="truncate-end" inverse={isSelected && isActive}>
              <Text color={toneColor(tone)}>{`${ROLLOUT_LOOK[item.row.rollout.state].glyph} `}</Text>
              {rolloutRow(item.row)}
            </Text>
          );
        }
        const look = STATE_LOOK[item.job.state];
        return (
          <Text key={item.id} wrap="truncate-end" inverse={isSelected && isActive} dimColor={isFinal(item.job) && !isSelected}>
            <Text color={toneColor(look.tone)}>{`${look.glyph} `}</Text>
            {jobRow(item.job, columns, snapshot.now)}
          </Text>
        );
      })}
      {messageLines.map((line, i) => <Text key={`m${i}`} wrap="truncate-end" color={toneColor(message!.tone)}>{line}</Text>)}
      {ask ? (
        <Confirm
          question={ask.question}
          detail={ask.detail}
          width={width}
          onConfirm={() => {
            outcome(ask.run());
            setAsk(null);
          }}
          onCancel={() => setAsk(null)}
        />
      ) : null}
    </Box>
  );
}
