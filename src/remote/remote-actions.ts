import type {Job} from '../engine/ota/job.js';
import type {ActionOutcome, DashboardActions, UpdateOutcome} from '../store/actions.js';
import {answerMessage, requestJson, type Answer, type Target} from './http-client.js';

const part = (text: string) => encodeURIComponent(text);
const ok = (answer: Answer) => answer.status >= 200 && answer.status < 300;

/** An answer as the dashboard's ActionOutcome: success or not, in the service's words. */
function outcome(answer: Answer, fallback: string): ActionOutcome {
  const body = answer.body as {message?: unknown} | null;
  const message = ok(answer) ? (body && typeof body === 'object' && typeof body.message === 'string' ? body.message : fallback) : answerMessage(answer);
  return {ok: ok(answer), message};
}

interface JobsAnswer {
  readonly jobs?: unknown[];
  readonly skipped?: UpdateOutcome['skipped'];
  readonly refused?: UpdateOutcome['refused'];
  readonly error?: string;
}

/**
 * The dashboard's actions on a homie-ota reached over HTTP: each calls the documented HTTP API
 * (README, "HTTP API") and maps the answer to what the engine would have returned. A promise
 * rejects only when the service could not be asked (the link is down, the login was refused).
 */
export function remoteActions(target: Target): DashboardActions {
  const call = (method: string, path: string, body?: unknown) => requestJson(target, method, path, body);
  const actions: DashboardActions = {
    async createUpdate(request) {
      const {name, version} = request.firmware;
      const answer = await call('POST', '/api/jobs', {
        devices: request.deviceKeys,
        firmware: {name, version},
        ...(request.rollout ? {scope: request.rollout.scope, canary: request.rollout.canary, maxFailures: request.rollout.maxFailures} : {rollout: false}),
      });
      const body = (answer.body ?? {}) as JobsAnswer;
      // the jobs come in their JSON form (GET /api/jobs); the views count them, the stream brings them whole
      return {
        jobs: (body.jobs ?? []) as Job[],
        skipped: body.skipped ?? [],
        refused: body.refused ?? [],
        ...(ok(answer) && !body.error ? {} : {error: body.error ?? answerMessage(answer)}),
      };
    },
    cancelJob: async id => outcome(await call('DELETE', `/api/jobs/${part(id)}`), `cancelled ${id}`),
    retryJob: async id => outcome(await call('POST', `/api/jobs/${part(id)}/retry`), `retrying ${id}`),
    setRolloutState: async (id, state) => outcome(await call('POST', `/api/rollouts/${part(id)}/${state === 'paused' ? 'pause' : state === 'running' ? 'resume' : 'cancel'}`), `${id} ${state}`),
    dismissRollout: async id => outcome(await call('POST', `/api/rollouts/${part(id)}/dismiss`), `dismissed ${id}`),
    setFirmwareDescription: async (name, version, text) => outcome(await call('PUT', `/api/firmware/${part(name)}/${part(version)}/description`, {description: text}), 'description saved'),
    deleteFirmware: async (name, version) => outcome(await call('DELETE', `/api/firmware/${part(name)}/${part(version)}`), `deleted ${name} ${version}`),
    async forgetDevice(key) {
      await actions.notice('inventory', 'info', `forgetting ${key}: clearing its retained topics on the broker…`);
      const result = outcome(await call('DELETE', `/api/devices/${part(key)}`), `forgot ${key}`);
      if (!result.ok) await actions.notice('inventory', 'warn', result.message);
      return result;
    },
    armPolicy: async (name, settings) => outcome(await call('PUT', `/api/policies/${part(name)}`, settings), `${name} armed`),
    disarmPolicy: async name => outcome(await call('DELETE', `/api/policies/${part(name)}`), `${name} disarmed`),
    async setPinned(keys, pinned) {
      // one request per device (POST/DELETE /api/devices/<key>/pin), one after the other
      const answers: ActionOutcome[] = [];
      for (const key of keys) answers.push(outcome(await call(pinned ? 'POST' : 'DELETE', `/api/devices/${part(key)}/pin`), `${pinned ? 'pinned' : 'unpinned'} ${key}`));
      const failed = answers.filter(a => !a.ok);
      if (answers.length === 1) return answers[0]!;
      const done = `${pinned ? 'pinned' : 'unpinned'} ${answers.length - failed.length} of ${answers.length} devices${pinned ? ': left out of automatic rollouts' : ''}`;
      return {ok: failed.length === 0, message: failed.length === 0 ? done : `${done}; ${failed[0]!.message}`};
    },
    async notice(area, level, text) {
      await call('POST', '/api/notices', {area, level, text});
    },
  };
  return actions;
}
