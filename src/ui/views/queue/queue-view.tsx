import React, {useMemo, useState} from 'react';
import {Box, Text} from 'ink';
import {isFinal, type Job} from '../../../engine/ota/job.js';
import {printable} from '../../../engine/util/text.js';
import type {DashboardSnapshot} from '../../../store/dashboard-store.js';
import {Confirm, confirmHeight} from '../../components/confirm.js';
import {useEngine, usePersistentState, useSnapshot} from '../../context.js';
import {useKeyLayer} from '../../keyboard.js';
import {toneColor} from '../../theme.js';
import {clockTime} from '../../time.js';
import type {ViewProps} from '../types.js';
import {columnsFor, headerRow, jobRow, STATE_LOOK, summaryLine} from './format.js';

export function queueTabLabel(snapshot: DashboardSnapshot): string {
  const t = snapshot.jobs.totals;
  const open = t.active + t.waiting;
  return open > 0 ? `Queue ${open}` : 'Queue';
}

/**
 * The Queue view: every job with its state, a progress bar, ETA and note; the totals on top. Enter
 * shows a job's timeline; c cancels, r retries, p pauses or resumes its rollout, x hides finished jobs.
 */
export function QueueView({height, width, isActive}: ViewProps) {
  const snapshot = useSnapshot();
  const engine = useEngine();
  const {jobs, rollouts} = snapshot.jobs;
  const [selectedId, setSelectedId] = usePersistentState<string | null>('queue.selected', null);
  const [top, setTop] = usePersistentState('queue.top', 0);
  const [detail, setDetail] = usePersistentState<string | null>('queue.detail', null);
  const [confirm, setConfirm] = useState<Job | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const index = Math.max(0, jobs.findIndex(j => j.id === selectedId));
  const selected = jobs[index];
  const activeRollouts = rollouts.filter(r => r.state === 'running' || r.state === 'paused');
  const asked = confirm ? cancelText(confirm) : null;
  const chrome = 2 + (activeRollouts.length > 0 ? 1 : 0) + (message ? 1 : 0) + (asked ? confirmHeight(asked.question, asked.detail, width) : 0);
  const budget = Math.max(1, height - chrome);
  const move = (to: number) => {
    const next = Math.max(0, Math.min(jobs.length - 1, to));
    if (jobs[next]) setSelectedId(jobs[next]!.id);
    setTop(t => (next < t ? next : next >= t + budget ? next - budget + 1 : t));
  };

  useKeyLayer({
    scopes: detail ? ['detail'] : ['queue', 'list'],
    onKey: command => {
      if (detail) {
        if (command === 'nav.back') {
          setDetail(null);
          return true;
        }
        return false;
      }
      switch (command) {
        case 'nav.down': move(index + 1); return true;
        case 'nav.up': move(index - 1); return true;
        case 'nav.pageDown': move(index + budget); return true;
        case 'nav.pageUp': move(index - budget); return true;
        case 'nav.top': move(0); return true;
        case 'nav.bottom': move(jobs.length - 1); return true;
        case 'nav.open':
          if (selected) setDetail(selected.id);
          return true;
        case 'queue.cancel':
          if (selected) setConfirm(selected);
          return true;
        case 'queue.retry':
          if (selected) setMessage(engine.ota.retry(selected.id).message);
          return true;
        case 'queue.pause': {
          const rollout = selected?.rolloutId ? rollouts.find(r => r.id === selected.rolloutId) : undefined;
          if (!rollout) setMessage('this job is not part of a rollout');
          else setMessage(engine.ota.setRolloutState(rollout.id, rollout.state === 'paused' ? 'running' : 'paused').message);
          return true;
        }
        case 'queue.clearFinished':
          setMessage(`hid ${engine.ota.clearFinished()} finished job(s); each device keeps its OTA history`);
          return true;
        default:
          return false;
      }
    },
  }, isActive && !confirm);

  const columns = useMemo(() => columnsFor(width), [width]);
  if (detail) {
    const job = jobs.find(j => j.id === detail);
    return <JobTimeline job={job} height={height} />;
  }
  const visibleTop = Math.min(top, Math.max(0, jobs.length - budget));
  const visible = jobs.slice(visibleTop, visibleTop + budget);
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end" bold>{summaryLine(snapshot.jobs)}</Text>
      {activeRollouts.map(r => (
        <Text key={r.id} wrap="truncate-end" color={toneColor(r.state === 'paused' ? 'warn' : 'accent')}>
          {`rollout ${r.id} ${r.state}: ${r.firmware.name} ${r.firmware.version} to ${printable(r.scope)}, stops after ${r.maxFailures} failure(s)${r.state === 'paused' ? ' (p resumes)' : ''}`}
        </Text>
      )).slice(0, 1)}
      <Text wrap="truncate-end" color={toneColor('muted')}>{headerRow(columns)}</Text>
      {visible.map(job => {
        const look = STATE_LOOK[job.state];
        const isSelected = job.id === selected?.id;
        return (
          <Text key={job.id} wrap="truncate-end" inverse={isSelected && isActive} dimColor={isFinal(job) && !isSelected}>
            <Text color={toneColor(look.tone)}>{`${look.glyph} `}</Text>
            {jobRow(job, columns, snapshot.now)}
          </Text>
        );
      })}
      {message ? <Text wrap="truncate-end" color={toneColor('warn')}>{message}</Text> : null}
      {confirm && asked ? (
        <Confirm
          question={asked.question}
          detail={asked.detail}
          width={width}
          onConfirm={() => {
            setMessage(engine.ota.cancel(confirm.id).message);
            setConfirm(null);
          }}
          onCancel={() => setConfirm(null)}
        />
      ) : null}
    </Box>
  );
}

function cancelText(job: Job): {question: string; detail: string | undefined} {
  return {
    question: `Cancel ${job.id}: ${printable(job.deviceId)} → ${job.firmware.name} ${job.firmware.version}?`,
    detail: job.rolloutId ? `It belongs to rollout ${job.rolloutId}; p pauses the whole rollout instead.` : undefined,
  };
}

function JobTimeline({job, height}: {readonly job: Job | undefined; readonly height: number}) {
  if (!job) return <Text color={toneColor('muted')}>That job is gone (finished jobs were hidden). Esc goes back.</Text>;
  const look = STATE_LOOK[job.state];
  const head = [
    `${job.id}  ${printable(job.deviceId)} (${printable(job.deviceKey)})  attempt ${job.attempt}`,
    `${[job.from.name, job.from.version].filter(Boolean).join(' ') || 'unknown firmware'} → ${job.firmware.name} ${job.firmware.version}  (${job.firmware.file}, ${job.firmware.size} bytes, MD5 ${job.firmware.md5})`,
    `by ${job.method === 'mqtt-push' ? 'MQTT push' : 'Homie 1.x $ota + HTTP download'}${job.rolloutId ? `, rollout ${job.rolloutId}` : ''}`,
  ];
  const entries = job.timeline.slice(-Math.max(1, height - head.length - 2));
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end"><Text color={toneColor(look.tone)}>{`${look.glyph} ${job.state}`}</Text>{job.error ? <Text color={toneColor('error')}>{`  ${printable(job.error)}`}</Text> : null}</Text>
      {head.map(line => <Text key={line} wrap="truncate-end">{line}</Text>)}
      <Text color={toneColor('muted')}>Timeline</Text>
      {entries.map((e, i) => (
        <Text key={`${e.time}-${i}`} wrap="truncate-end">
          <Text color={toneColor('muted')}>{clockTime(e.time)} </Text>
          <Text color={toneColor(STATE_LOOK[e.state].tone)}>{e.state.padEnd(10)}</Text>
          {printable(e.note ?? '')}
        </Text>
      ))}
    </Box>
  );
}
