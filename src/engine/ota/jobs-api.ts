import busboy from 'busboy';
import type {IncomingMessage} from 'node:http';
import {readBody, sendJson, sendText, wantsJson, type RequestContext} from '../http/server.js';
import type {DeviceRecord} from '../inventory/inventory.js';
import {etaSeconds, isFinal, percent, type Job} from './job.js';
import type {CreateJobsRequest, CreateJobsResult} from './requests.js';
import type {Clock, DeviceLookup, RouteDescriptor} from './ports.js';
import {openByRollout, rolloutJson} from './rollout-counts.js';
import {autoFields} from './event-publisher.js';
import type {Rollout} from './types.js';

type Outcome = {ok: boolean; message: string};

/** What the API asks of the OTA queue. */
export interface OtaJobs {
  list(): readonly Job[];
  get(id: string): Job | undefined;
  rollouts(): readonly Rollout[];
  rollout(id: string): Rollout | undefined;
  create(request: CreateJobsRequest): CreateJobsResult;
  cancel(id: string): Outcome;
  retry(id: string): Outcome & {job?: Job};
  setRolloutState(id: string, state: 'paused' | 'running' | 'cancelled'): Outcome;
  dismissRollout(id: string): Outcome;
}

/** Every rollout not dismissed, with counts of its devices (the same the Queue view and the MQTT events give). */
function rolloutsJson(ota: OtaJobs): Array<Record<string, unknown>> {
  const open = openByRollout(ota.list());
  return ota.rollouts().map(r => rolloutJson(r, open.get(r.id)));
}

/** The JSON form of a job (GET /api/jobs); `now` gives an ESP32's time to its rollback re-check. */
export function jobJson(job: Job, now?: number): Record<string, unknown> {
  return {
    id: job.id,
    device: job.deviceId,
    deviceKey: job.deviceKey,
    firmware: {name: job.firmware.name, version: job.firmware.version, file: job.firmware.file, md5: job.firmware.md5, size: job.firmware.size},
    method: job.method,
    state: job.state,
    waitingFor: job.waitingFor ?? null,
    attempt: job.attempt,
    progress: job.progress ? {done: job.progress.done, total: job.progress.total, percent: percent(job) ?? null, etaSeconds: etaSeconds(job, now) ?? null} : null,
    from: job.from,
    error: job.error ?? null,
    result: job.result ?? null,
    rollout: job.rolloutId ?? null,
    retriedAs: job.retriedAs ?? null,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
    finishedAt: job.finishedAt ? new Date(job.finishedAt).toISOString() : null,
    timeline: job.timeline.map(e => ({time: new Date(e.time).toISOString(), state: e.state, note: e.note ?? null})),
  };
}

export interface ResolvedDevices {
  readonly keys: string[];
  readonly problems: string[];
}

/** Device ids or keys ("homie/relay-1") → inventory keys; an id found under two prefixes is ambiguous. */
export function resolveDevices(inventory: DeviceLookup, wanted: readonly string[]): ResolvedDevices {
  const devices = inventory.list();
  const keys: string[] = [];
  const problems: string[] = [];
  for (const w of wanted) {
    if (inventory.get(w)) {
      keys.push(w);
      continue;
    }
    const matches = devices.filter(d => d.id === w);
    if (matches.length === 1) keys.push(matches[0]!.key);
    else if (matches.length === 0) problems.push(`no device ${w} in the inventory`);
    else problems.push(`${w} is ambiguous: ${matches.map(d => d.key).join(', ')}; use the full key`);
  }
  return {keys, problems};
}

/** "relay@1.2.0" (the original's form field) or {name, version}. */
export function parseFirmwareRef(value: unknown): {name: string; version: string} | null {
  if (typeof value === 'string') {
    const at = value.lastIndexOf('@');
    if (at <= 0 || at === value.length - 1) return null;
    return {name: value.slice(0, at), version: value.slice(at + 1)};
  }
  if (value && typeof value === 'object' && typeof (value as {name?: unknown}).name === 'string' && typeof (value as {version?: unknown}).version === 'string') {
    return {name: (value as {name: string}).name, version: (value as {version: string}).version};
  }
  return null;
}

/** Read a form (urlencoded or multipart, as the original UI posted) or a JSON object. */
export async function readFields(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (/multipart\/form-data/i.test(type)) {
    return new Promise((resolve, reject) => {
      const fields: Record<string, string> = {};
      const parser = busboy({headers: req.headers, limits: {fields: 20, fieldSize: 16 * 1024, files: 0, parts: 25}});
      parser.on('field', (name, value) => (fields[name] = value));
      parser.on('error', reject);
      parser.on('close', () => resolve(fields));
      req.pipe(parser);
    });
  }
  const body = (await readBody(req, 256 * 1024)).toString('utf8');
  if (/application\/json/i.test(type) || body.trimStart().startsWith('{')) {
    const parsed: unknown = JSON.parse(body || '{}');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw Object.assign(new Error('expected a JSON object'), {status: 400});
    return parsed as Record<string, unknown>;
  }
  return Object.fromEntries(new URLSearchParams(body));
}

/** Devices a rollout scope names: running firmware `from`, or matching `filter`. */
export type ScopeResolver = (scope: {from?: string; filter?: string}) => {devices: readonly DeviceRecord[]; description: string} | {error: string};

export interface JobsApiDeps {
  readonly jobs: OtaJobs;
  readonly devices: DeviceLookup;
  readonly clock: Clock;
  readonly resolveScope: ScopeResolver;
  /** --readonly: every change is refused with 403 */
  readonly readonly: boolean;
}

/** The routes of /api/jobs, /api/rollouts and the original's POST /update, for engine.ts to register. */
export function jobsRoutes(deps: JobsApiDeps): RouteDescriptor[] {
  const {jobs: ota, clock} = deps;
  const writing = (handler: (ctx: RequestContext) => void | Promise<void>) => (ctx: RequestContext) =>
    deps.readonly ? sendJson(ctx.res, 403, {error: 'read-only mode (--readonly): no changes'}) : handler(ctx);
  return [
    {method: 'GET', path: '/api/jobs', handler: ({res, url}) => {
      const state = url.searchParams.get('state');
      const jobs = ota.list().filter(j => !state || j.state === state || (state === 'active' && !isFinal(j)));
      const now = clock.now();
      const triggers = new Map(ota.rollouts().map(r => [r.id, r.auto]));
      sendJson(res, 200, {jobs: jobs.map(j => ({...jobJson(j, now), ...autoFields(j.rolloutId ? triggers.get(j.rolloutId) : undefined)})), rollouts: rolloutsJson(ota)});
    }},
    {method: 'GET', path: '/api/rollouts', handler: ({res}) => sendJson(res, 200, {rollouts: rolloutsJson(ota)})},
    {method: 'GET', path: '/api/rollouts/:id', handler: ({res, params}) => {
      const rollout = ota.rollout(params.id!);
      if (!rollout) return sendJson(res, 404, {error: `no rollout ${params.id} (never made, or dismissed)`});
      sendJson(res, 200, rolloutJson(rollout, openByRollout(ota.list()).get(rollout.id)));
    }},
    {method: 'GET', path: '/api/jobs/:id', handler: ({res, params}) => {
      const job = ota.get(params.id!);
      if (!job) return sendJson(res, 404, {error: `no job ${params.id}`});
      sendJson(res, 200, jobJson(job, clock.now()));
    }},
    {method: 'POST', path: '/api/jobs', handler: writing(ctx => postJobs(deps, ctx))},
    {method: 'DELETE', path: '/api/jobs/:id', handler: writing(({res, params}) => {
      const outcome = ota.cancel(params.id!);
      sendJson(res, outcome.ok ? 200 : ota.get(params.id!) ? 409 : 404, outcome.ok ? {cancelled: params.id, message: outcome.message} : {error: outcome.message});
    })},
    {method: 'POST', path: '/api/jobs/:id/retry', handler: writing(({res, params}) => {
      const outcome = ota.retry(params.id!);
      sendJson(res, outcome.ok ? 201 : ota.get(params.id!) ? 409 : 404, outcome.ok ? {...jobJson(outcome.job!), message: outcome.message} : {error: outcome.message});
    })},
    {method: 'POST', path: '/api/rollouts/:id/:action', handler: writing(({res, params}) => {
      const action = params.action;
      const state = action === 'pause' ? 'paused' : action === 'resume' ? 'running' : action === 'cancel' ? 'cancelled' : null;
      if (!state && action !== 'dismiss') return sendJson(res, 404, {error: 'actions are pause, resume, cancel and dismiss'});
      if (!ota.rollout(params.id!)) return sendJson(res, 404, {error: `no rollout ${params.id} (never made, or dismissed)`});
      const outcome = state ? ota.setRolloutState(params.id!, state) : ota.dismissRollout(params.id!);
      sendJson(res, outcome.ok ? 200 : 409, outcome.ok ? {ok: true, message: outcome.message} : {error: outcome.message});
    })},
    {method: 'POST', path: '/update', handler: ctx => postUpdate(deps, ctx)},
  ];
}

/** POST /api/jobs: one device, a list, or a rollout over a filter or a running firmware. */
async function postJobs(deps: JobsApiDeps, {req, res}: RequestContext): Promise<void> {
  const ota = deps.jobs;
  let fields: Record<string, unknown>;
  try {
    fields = await readFields(req);
  } catch (error) {
    return sendJson(res, (error as {status?: number}).status ?? 400, {error: `cannot read the request: ${(error as Error).message}`});
  }
  const firmware = parseFirmwareRef(fields.firmware);
  if (!firmware) return sendJson(res, 400, {error: 'firmware is required, as "name@version"'});
  const result = createFromFields(deps, fields, firmware);
  if ('error' in result && !('jobs' in result)) return sendJson(res, result.status, {error: result.error});
  const r = result as CreateJobsResult;
  const status = r.error ? 409 : r.jobs.length > 0 ? 201 : 200;
  sendJson(res, status, {
    jobs: r.jobs.map(j => jobJson(j)),
    skipped: r.skipped,
    refused: r.refused,
    rollout: r.rollout ? rolloutJson(r.rollout, openByRollout(ota.list()).get(r.rollout.id)) : null,
    ...(r.error ? {error: r.error} : {}),
  });
}

/** The original's form: device and firmware fields, "-" meaning none; a text answer in its style. */
async function postUpdate(deps: JobsApiDeps, ctx: RequestContext): Promise<void> {
  const {req, res} = ctx;
  const answer = (status: number, text: string, json: Record<string, unknown>) => (wantsJson(ctx) ? sendJson(res, status, json) : sendText(res, status, text));
  if (deps.readonly) return answer(403, 'OTA request refused: homie-ota runs read-only', {error: 'read-only mode'});
  let fields: Record<string, unknown>;
  try {
    fields = await readFields(req);
  } catch (error) {
    return answer(400, `OTA request aborted; cannot read the form (${(error as Error).message})`, {error: (error as Error).message});
  }
  const device = typeof fields.device === 'string' ? fields.device.trim() : '';
  const firmwareField = typeof fields.firmware === 'string' ? fields.firmware.trim() : '';
  if (!device || device === '-') return answer(400, 'OTA request aborted; no device chosen', {error: 'no device chosen'});
  if (!firmwareField || firmwareField === '-') return answer(400, 'OTA request aborted; no firmware chosen', {error: 'no firmware chosen'});
  const firmware = parseFirmwareRef(firmwareField);
  if (!firmware) return answer(400, `OTA request aborted; firmware must be name@version, not ${firmwareField}`, {error: 'firmware must be name@version'});
  const resolved = resolveDevices(deps.devices, [device]);
  if (resolved.keys.length === 0) return answer(404, `Unable to find ${device} in device list`, {error: resolved.problems[0]});
  const result = deps.jobs.create({deviceKeys: resolved.keys, firmware});
  if (result.error) return answer(404, `Unable to find the firmware in folder (${firmware.name}@${firmware.version})`, {error: result.error});
  const job = result.jobs[0];
  if (job) {
    return answer(200, `OTA request queued for device ${device} for update to ${firmware.name}@${firmware.version} (job ${job.id}, ${job.method === 'mqtt-push' ? 'MQTT push' : 'Homie 1.x $ota'})`, {job: jobJson(job)});
  }
  const why = result.skipped[0]?.reason ?? result.refused[0]?.reason ?? 'nothing to do';
  return answer(result.skipped.length > 0 ? 200 : 409, `OTA request for device ${device} not queued: ${why}`, {skipped: result.skipped, refused: result.refused});
}

function createFromFields(
  {jobs: ota, devices: inventory, resolveScope}: JobsApiDeps,
  fields: Record<string, unknown>,
  firmware: {name: string; version: string},
): CreateJobsResult | {error: string; status: number} {
  const maxFailures = Number(fields.maxFailures ?? 1);
  const canary = fields.canary === undefined ? true : fields.canary === true || fields.canary === 'true';
  if (typeof fields.device === 'string' || Array.isArray(fields.devices)) {
    const wanted = typeof fields.device === 'string' ? [fields.device] : (fields.devices as unknown[]).filter((d): d is string => typeof d === 'string');
    const resolved = resolveDevices(inventory, wanted);
    if (resolved.keys.length === 0) return {error: resolved.problems.join('; ') || 'no devices given', status: resolved.problems.some(p => p.includes('ambiguous')) ? 409 : 404};
    const result = ota.create({
      deviceKeys: resolved.keys,
      firmware,
      ...(resolved.keys.length > 1 && fields.rollout !== false ? {rollout: {scope: typeof fields.scope === 'string' && fields.scope ? fields.scope.slice(0, 200) : `${resolved.keys.length} chosen devices`, canary, maxFailures}} : {}),
    });
    return {...result, refused: [...result.refused, ...resolved.problems.map(p => ({deviceKey: '', reason: p}))]};
  }
  if (typeof fields.filter === 'string' || typeof fields.from === 'string') {
    const scope = resolveScope({filter: typeof fields.filter === 'string' ? fields.filter : undefined, from: typeof fields.from === 'string' ? fields.from : undefined});
    if ('error' in scope) return {error: scope.error, status: 400};
    let devices = scope.devices;
    if (fields.outdatedOnly === true || fields.outdatedOnly === 'true') {
      devices = devices.filter(d => d.fw.name === firmware.name && d.fw.version !== firmware.version);
    }
    if (fields.onlineOnly === true || fields.onlineOnly === 'true') devices = devices.filter(d => d.state === 'ready');
    if (devices.length === 0) return {error: `no device matches ${scope.description}`, status: 404};
    return ota.create({deviceKeys: devices.map(d => d.key), firmware, rollout: {scope: scope.description, canary, maxFailures}});
  }
  return {error: 'say which devices: device, devices, filter or from', status: 400};
}
