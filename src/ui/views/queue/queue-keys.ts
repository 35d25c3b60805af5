import {cannotCancel, type Job} from '../../../engine/ota/job.js';
import {isEnded} from '../../../engine/ota/rollout-counts.js';
import type {Rollout} from '../../../engine/ota/types.js';
import {printable} from '../../../engine/util/text.js';
import type {ActionOutcome, DashboardActions} from '../../../store/actions.js';
import type {RolloutRow} from '../../../store/jobs-slice.js';
import type {Tone} from '../../theme.js';
import {ROLLOUT_LOOK} from './format.js';

/** A line of the list: a rollout (they come first) or a job. */
export type Item = {readonly kind: 'rollout'; readonly id: string; readonly row: RolloutRow} | {readonly kind: 'job'; readonly id: string; readonly job: Job};

/** A question before an action (cancel): y runs it. */
export interface Ask {
  readonly question: string;
  readonly detail?: string;
  readonly run: () => Promise<ActionOutcome>;
}

export interface QueueKeyContext {
  readonly selected: Item | undefined;
  readonly rollouts: readonly RolloutRow[];
  readonly readonly: boolean;
  /** finished jobs listed (hidden or not) */
  readonly finished: number;
  readonly hideFinished: boolean;
  readonly actions: DashboardActions;
  readonly say: (text: string, tone?: Tone) => void;
  readonly ask: (ask: Ask) => void;
  readonly open: (id: string) => void;
  readonly setHideFinished: (hide: boolean) => void;
}

/** Shows what an action answered: ok in green, a refusal as a warning. */
export function showOutcome(answer: Promise<ActionOutcome>, say: QueueKeyContext['say']): void {
  void answer.then(
    result => say(result.message, result.ok ? 'ok' : 'warn'),
    (error: unknown) => say(`homie-ota could not be asked: ${(error as Error).message}`, 'error'),
  );
}

/** The rollout of the selected line: itself, or the job's. */
function rolloutOf(item: Item | undefined, rollouts: readonly RolloutRow[]): Rollout | undefined {
  if (item?.kind === 'rollout') return item.row.rollout;
  return item?.kind === 'job' && item.job.rolloutId ? rollouts.find(r => r.rollout.id === item.job.rolloutId)?.rollout : undefined;
}

/** c: a rollout or a job that has not reached its device, after a question; else why not, at once. */
function cancel({selected, readonly, actions, say, ask}: QueueKeyContext): void {
  if (!selected) return say('nothing to cancel: no job or rollout is selected');
  if (selected.kind === 'rollout') {
    const {rollout: r, tally} = selected.row;
    if (isEnded(r)) return say(`rollout ${r.id} is ${ROLLOUT_LOOK[r.state].word}: nothing left to cancel (d dismisses it)`);
    return ask({
      question: `Cancel rollout ${r.id} (${r.firmware.name} ${r.firmware.version})?`,
      detail: `${tally.waiting} job(s) that have not started are cancelled; ${tally.active + tally.rebooting + tally.verifying} already on their device finish and are verified.`,
      run: () => actions.setRolloutState(r.id, 'cancelled'),
    });
  }
  const job = selected.job;
  // at once, from the job as listed; the cancel itself checks again
  const refusal = readonly ? 'read-only mode (--readonly)' : cannotCancel(job);
  if (refusal) return say(refusal);
  ask({
    question: `Cancel ${job.id}: ${printable(job.deviceId)} → ${job.firmware.name} ${job.firmware.version}?`,
    detail: job.rolloutId ? `It belongs to rollout ${job.rolloutId}; p pauses the whole rollout instead.` : undefined,
    run: () => actions.cancelJob(job.id),
  });
}

/** The Queue's own commands (the list keys are the view's): each acts at once or says why not. */
export function queueKeys(c: QueueKeyContext): Record<string, () => void> {
  const {selected, actions, say} = c;
  return {
    'nav.open': () => (selected ? c.open(selected.id) : say('nothing to open: the queue is empty')),
    'queue.cancel': () => cancel(c),
    'queue.retry': () => {
      if (selected?.kind !== 'job') return say(selected ? `r retries a job: select a failed or cancelled job of rollout ${selected.id}` : 'nothing to retry: no job is selected');
      showOutcome(actions.retryJob(selected.job.id), say);
    },
    'queue.pause': () => {
      const rollout = rolloutOf(selected, c.rollouts);
      if (!rollout) return say(selected ? `${selected.id} is not part of a rollout: p pauses and resumes rollouts` : 'nothing to pause: no rollout is selected');
      showOutcome(actions.setRolloutState(rollout.id, rollout.state === 'paused' ? 'running' : 'paused'), say);
    },
    'queue.dismiss': () => {
      const rollout = rolloutOf(selected, c.rollouts);
      if (!rollout) return say(selected ? `${selected.id} is not part of a rollout: d dismisses a rollout that has ended` : 'nothing to dismiss: no rollout is selected');
      showOutcome(actions.dismissRollout(rollout.id), say);
    },
    'queue.toggleFinished': () => {
      c.setHideFinished(!c.hideFinished);
      say(c.hideFinished ? `showing ${c.finished} finished job(s) again` : `${c.finished} finished job(s) hidden; x shows them again (each device keeps its history)`, 'info');
    },
  };
}
