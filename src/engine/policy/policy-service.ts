import type {FiledEvent} from '../firmware/store.js';
import type {FirmwareRecord} from '../firmware/records.js';
import type {DeviceRecord} from '../inventory/inventory.js';
import type {Log} from '../log.js';
import type {CreateJobsRequest, CreateJobsResult} from '../ota/requests.js';
import type {Rollout, RolloutTrigger} from '../ota/types.js';
import {isEnded} from '../ota/rollout-counts.js';
import {describeWindow, inWindow, windowWait} from '../ota/window.js';
import {compareVersions} from '../util/version.js';
import {printable} from '../util/text.js';
import {checkSettings, defaultSettings, loadPolicies, savePolicies, type PoliciesFile, type PolicySettings, type StoredPolicy} from './policy-file.js';
import {pickDevices} from './pick.js';

type Outcome = {ok: boolean; message: string};

/** What the policies are given by engine.ts. */
export interface PolicyDeps {
  readonly settings: {readonly firmwareRoot: string; readonly readonly: boolean; readonly concurrency: number; readonly autoRollout: readonly string[]};
  readonly log: Log;
  now(): number;
  notice(level: 'info' | 'warn' | 'error', text: string): void;
  /** policies or pins changed: the dashboard redraws */
  changed(): void;
  readonly firmware: {newest(name: string): FirmwareRecord | undefined; list(): readonly FirmwareRecord[]};
  readonly devices: {get(key: string): DeviceRecord | undefined; list(): readonly DeviceRecord[]; readonly discoveryStatus: {readonly completedAt?: number}};
  readonly ota: {create(request: CreateJobsRequest): CreateJobsResult; rollouts(): readonly Rollout[]};
}

/** One armed name as the views and GET /api/policies show it. */
export interface PolicyView {
  readonly name: string;
  readonly settings: PolicySettings;
  /** the newest version already rolled out (or there when it was armed) */
  readonly handled: string | null;
  /** the newest automatic rollout of the name still listed */
  readonly rollout: {readonly id: string; readonly version: string; readonly state: Rollout['state']; readonly reason: string | null} | null;
  /** what it is doing, in words: "waiting for relay 1.0.3", "r-4 outside its window 02:00–05:00; starts at 02:00" */
  readonly status: string;
  /** the status needs attention (a rollout stopped) */
  readonly alert: boolean;
}

const READONLY = 'read-only mode (--readonly): automatic rollouts and pins cannot be changed';

/**
 * Automatic rollouts per firmware name, and pinned devices. When a version of an armed name newer than
 * the one it last handled is in the store (filed by drop, upload or WATCH, or found at start), a
 * rollout starts, through the OTA queue's own `create`, to every device running that name that is not
 * pinned: canary first, stop after K failures, its own transfer limit and time window. While an
 * automatic rollout of the name is open, a newer version waits for it to end, then rolls out (the
 * newest stored then). Everything is kept in <firmware folder>/policies.json, written atomically; the
 * rollouts themselves are kept by the OTA queue in jobs.json, so a restart resumes them as it resumes
 * any job, never sending twice.
 */
export class PolicyService {
  readonly name = 'automatic rollouts';
  #data: PoliciesFile = {policies: {}, pins: {}};
  readonly #arrivals = new Map<string, FiledEvent>();
  #saving: Promise<void> = Promise.resolve();
  #scheduled = false;
  #started = false;
  #revision = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: PolicyDeps) {}

  /** rises with every change of the policies or pins (the dashboard store compares it) */
  get revision(): number {
    return this.#revision;
  }

  async start(): Promise<void> {
    const {data, problem} = loadPolicies(this.deps.settings.firmwareRoot, this.deps.now(), this.deps.settings.readonly);
    this.#data = data;
    if (problem) this.deps.notice('warn', problem);
    this.#armFromSettings();
    this.#started = true;
    // the inventory's first load completing, a rollout ending: looked at again every few seconds too
    this.#timer = setInterval(() => this.schedule(), 5000);
    this.#timer.unref();
    const armed = this.armed().map(p => p.name);
    if (armed.length > 0) this.deps.log.info(`automatic rollouts armed for ${armed.join(', ')}; ${Object.keys(this.#data.pins).length} device(s) pinned`);
    this.schedule();
  }

  /** Resolves once every change so far is written to policies.json (the API answers after that). */
  saved(): Promise<void> {
    return this.#saving;
  }

  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer) clearInterval(this.#timer);
    await this.#saving;
  }

  // ---- reading ----

  armed(): PolicyView[] {
    return Object.entries(this.#data.policies).filter(([, p]) => p.armed).map(([name, p]) => this.#view(name, p)).sort((a, b) => a.name.localeCompare(b.name));
  }

  policy(name: string): PolicyView | undefined {
    const stored = this.#data.policies[name];
    return stored?.armed ? this.#view(name, stored) : undefined;
  }

  /** The settings `a` shows for a name: its own when armed or remembered, else the defaults. */
  settingsFor(name: string): PolicySettings {
    return this.#data.policies[name]?.settings ?? defaultSettings(this.deps.settings.concurrency);
  }

  pins(): ReadonlyArray<{key: string; id: string; pinnedAt: number}> {
    return Object.entries(this.#data.pins).map(([key, pin]) => ({key, ...pin}));
  }

  isPinned(key: string): boolean {
    return Object.hasOwn(this.#data.pins, key);
  }

  // ---- changing (the HTTP routes and the dashboard's actions call these) ----

  /** Arm a name (or change its settings); raw settings are checked field by field. */
  arm(name: string, raw?: unknown): Outcome {
    if (this.deps.settings.readonly) return {ok: false, message: READONLY};
    if (!/^[A-Za-z0-9._+~-]{1,32}$/.test(name)) return {ok: false, message: `"${printable(name)}" is not a firmware name (letters, digits and . _ + ~ -, at most 32)`};
    const checked = checkSettings(raw, this.settingsFor(name));
    if ('error' in checked) return {ok: false, message: checked.error};
    const before = this.#data.policies[name];
    const handled = before?.armed ? before.handled : this.deps.firmware.newest(name)?.version;
    this.#put(name, {armed: true, settings: checked.settings, ...(handled ? {handled} : {}), changedAt: this.deps.now()});
    const what = `${name}: ${describeSettings(checked.settings)}`;
    this.deps.notice('info', before?.armed ? `automatic rollout of ${what} (settings changed)` : `automatic rollout armed for ${what}; a version newer than ${handled ?? 'none stored yet'} rolls out by itself`);
    return {ok: true, message: before?.armed ? `${name}: settings saved` : `${name} armed: new versions roll out automatically`};
  }

  disarm(name: string): Outcome {
    if (this.deps.settings.readonly) return {ok: false, message: READONLY};
    const before = this.#data.policies[name];
    if (!before?.armed) return {ok: false, message: `${printable(name)} is not armed`};
    this.#put(name, {...before, armed: false, changedAt: this.deps.now()});
    this.deps.notice('info', `automatic rollout disarmed for ${name} (a rollout already started goes on; cancel it in the Queue view)`);
    return {ok: true, message: `${name} disarmed`};
  }

  /** Replace the armed set (PUT /api/policies): names left out are disarmed. Checked whole before anything changes. */
  replace(input: Record<string, unknown>): Outcome & {status?: number} {
    if (this.deps.settings.readonly) return {ok: false, message: READONLY, status: 403};
    const wanted = new Map<string, PolicySettings>();
    for (const [name, raw] of Object.entries(input)) {
      if (!/^[A-Za-z0-9._+~-]{1,32}$/.test(name)) return {ok: false, status: 400, message: `policies.${printable(name)}: not a firmware name`};
      const checked = checkSettings(raw, this.settingsFor(name), `policies.${name}`);
      if ('error' in checked) return {ok: false, status: 400, message: checked.error};
      wanted.set(name, checked.settings);
    }
    for (const view of this.armed()) if (!wanted.has(view.name)) this.disarm(view.name);
    for (const [name, settings] of wanted) this.arm(name, settingsInput(settings));
    return {ok: true, message: `${wanted.size} name(s) armed`};
  }

  /** Pin (or unpin) devices by inventory key: pinned devices are left out of automatic rollouts. */
  setPinned(keys: readonly string[], pinned: boolean): Outcome {
    if (this.deps.settings.readonly) return {ok: false, message: READONLY};
    const pins = {...this.#data.pins};
    const changed: string[] = [];
    for (const key of keys) {
      if (pinned && !pins[key]) {
        pins[key] = {id: this.deps.devices.get(key)?.id ?? key.split('/').at(-1)!, pinnedAt: this.deps.now()};
        changed.push(pins[key].id);
      } else if (!pinned && pins[key]) {
        changed.push(pins[key].id);
        delete pins[key];
      }
    }
    if (changed.length === 0) return {ok: true, message: `nothing to change: ${pinned ? 'already pinned' : 'not pinned'}`};
    this.#data = {...this.#data, pins};
    this.#changed();
    const message = `${pinned ? 'pinned' : 'unpinned'} ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ` and ${changed.length - 5} more` : ''}${pinned ? ': left out of automatic rollouts' : ''}`;
    this.deps.notice('info', message);
    return {ok: true, message};
  }

  /** A file was filed: remember how it arrived (the rollout says so), then look. */
  filed(event: FiledEvent): void {
    this.#arrivals.set(event.file, event);
    if (this.#arrivals.size > 200) this.#arrivals.delete(this.#arrivals.keys().next().value!);
    this.schedule();
  }

  /** Look soon (coalesces bursts of firmware and inventory changes). */
  schedule(): void {
    if (this.#scheduled || !this.#started) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.check();
    });
  }

  /** Start the rollouts that are due: one per armed name whose newest stored version is newer than the one handled. */
  check(): void {
    if (!this.#started || this.deps.settings.readonly) return;
    // devices are chosen from complete records only (the same rule as jobs)
    if (this.deps.devices.discoveryStatus.completedAt === undefined) return;
    for (const [name, policy] of Object.entries(this.#data.policies)) {
      if (policy.armed) this.#checkName(name, policy);
    }
  }

  #checkName(name: string, policy: StoredPolicy): void {
    const newest = this.deps.firmware.newest(name);
    if (!newest || (policy.handled !== undefined && compareVersions(newest.version, policy.handled) <= 0)) return;
    const rollouts = this.deps.ota.rollouts().filter(r => r.auto?.policy === name);
    // a rollout of this version exists already (saved in jobs.json before policies.json): never twice
    if (rollouts.some(r => r.firmware.version === newest.version)) return this.#handled(name, newest.version);
    // one automatic rollout of a name at a time: a newer version waits for the open one to end
    if (rollouts.some(r => !isEnded(r))) return;
    const trigger = this.#trigger(newest);
    const pick = pickDevices(this.deps.devices.list(), name, newest.version, policy.settings, key => this.isPinned(key));
    this.#handled(name, newest.version);
    if (pick.keys.length === 0) {
      this.deps.notice('info', `${newest.file} (${trigger.via}): automatic rollout of ${name} has no device to update (${pick.note})`);
      return;
    }
    const {settings} = policy;
    const result = this.deps.ota.create({
      deviceKeys: pick.keys,
      firmware: {name, version: newest.version},
      rollout: {
        scope: `automatic: devices running ${name}${pick.pinned ? ` (${pick.pinned} pinned left out)` : ''}`,
        canary: settings.canary, maxFailures: settings.maxFailures, concurrency: settings.concurrency, auto: trigger,
        ...(settings.window ? {window: settings.window} : {}),
      },
    });
    if (result.error || !result.rollout) {
      const why = result.error ?? [...result.refused, ...result.skipped].map(r => r.reason).slice(0, 3).join('; ');
      this.deps.notice('warn', `automatic rollout of ${newest.file} not started: ${why || 'no device could take it'}`);
    }
  }

  #trigger(record: FirmwareRecord): RolloutTrigger {
    const arrival = this.#arrivals.get(record.file);
    return {policy: record.name, file: record.file, via: arrival?.via ?? 'start', source: arrival?.source ?? record.file};
  }

  #handled(name: string, version: string): void {
    const policy = this.#data.policies[name];
    if (policy && policy.handled !== version) this.#put(name, {...policy, handled: version});
  }

  #view(name: string, stored: StoredPolicy): PolicyView {
    const newestRollout = this.deps.ota.rollouts().filter(r => r.auto?.policy === name).at(-1);
    const base = {name, settings: stored.settings, handled: stored.handled ?? null};
    if (!newestRollout) return {...base, rollout: null, status: `armed; waiting for a version newer than ${stored.handled ?? '(none stored)'}`, alert: false};
    const rollout = {id: newestRollout.id, version: newestRollout.firmware.version, state: newestRollout.state, reason: newestRollout.reason ?? null};
    const status = rolloutStatus(newestRollout, this.deps.now());
    // a newer version filed while this rollout runs waits for it to end
    const next = this.deps.firmware.newest(name);
    const waiting = next && !isEnded(newestRollout) && compareVersions(next.version, newestRollout.firmware.version) > 0 ? `; ${next.version} waits for it to end` : '';
    return {...base, rollout, ...status, status: `${status.status}${waiting}`};
  }

  #put(name: string, policy: StoredPolicy): void {
    this.#data = {...this.#data, policies: {...this.#data.policies, [name]: policy}};
    this.#changed();
  }

  #changed(): void {
    this.#revision++;
    this.deps.changed();
    if (this.deps.settings.readonly) return;
    const data = this.#data;
    this.#saving = this.#saving.then(() => savePolicies(this.deps.settings.firmwareRoot, data)).catch(error => {
      this.deps.notice('error', `cannot save policies.json (${(error as Error).message}); automatic rollouts and pins hold until homie-ota stops`);
    });
    this.schedule();
  }

  /** AUTO_ROLLOUT: arm names policies.json does not know (a name the user disarmed stays disarmed, and the log says so). */
  #armFromSettings(): void {
    for (const name of this.deps.settings.autoRollout) {
      const known = this.#data.policies[name];
      if (!known) {
        const handled = this.deps.firmware.newest(name)?.version;
        this.#put(name, {armed: true, settings: defaultSettings(this.deps.settings.concurrency), ...(handled ? {handled} : {}), changedAt: this.deps.now()});
      } else if (!known.armed) {
        this.deps.log.warn(`AUTO_ROLLOUT names ${name}, but it was disarmed in the dashboard or the API: it stays disarmed (arm it with a in the Firmware view)`);
      }
    }
  }
}

/** "canary, 2 at a time, stop after 1 failure, outdated only, 02:00–05:00" */
export function describeSettings(s: PolicySettings): string {
  return [
    s.canary ? 'canary first' : 'no canary',
    `${s.concurrency} at a time`,
    `stop after ${s.maxFailures} failure${s.maxFailures === 1 ? '' : 's'}`,
    s.outdatedOnly ? 'older versions only' : 'every other version',
    s.onlineOnly ? 'online devices only' : 'offline ones when they return',
    s.window ? `only ${describeWindow(s.window)}` : 'any time',
  ].join(', ');
}

/** Settings in the form PUT /api/policies and the dialog send. */
export function settingsInput(s: PolicySettings): Record<string, unknown> {
  return {...s, window: s.window ? `${s.window.start}-${s.window.end}` : null};
}

function rolloutStatus(rollout: Rollout, now: number): {status: string; alert: boolean} {
  const {id, firmware: {version}} = rollout;
  if (rollout.state === 'stopped') return {status: `${id} of ${version} stopped: ${rollout.reason ?? ''}`, alert: true};
  if (rollout.state === 'running' && rollout.window && !inWindow(rollout.window, now)) return {status: `${id} of ${version} ${windowWait(rollout.window, now)}`, alert: false};
  if (isEnded(rollout)) return {status: `${id} of ${version} ${rollout.state === 'done' ? 'finished' : rollout.state}; waiting for a newer version`, alert: false};
  return {status: `${id} of ${version} ${rollout.state}`, alert: false};
}
