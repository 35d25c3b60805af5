import path from 'node:path';
import type {FirmwareRecord} from '../../src/engine/firmware/store.js';
import type {DiscoveryStatus} from '../../src/engine/inventory/discovery.js';
import type {DeviceDetail, DeviceRecord, NodeDetail} from '../../src/engine/inventory/types.js';
import type {Job, JobState} from '../../src/engine/ota/job.js';
import type {HistoryEntry, Rollout} from '../../src/engine/ota/types.js';
import type {LogEntry} from '../../src/engine/log.js';
import type {ActionOutcome, DashboardActions, UpdateOutcome} from '../../src/store/actions.js';
import type {DashboardSettings, DashboardSnapshot, DeviceFocus} from '../../src/store/dashboard-store.js';
import {createFedStore, type FedStore} from '../../src/store/fed-store.js';
import {buildFirmwareSlice} from '../../src/store/firmware-slice.js';
import {buildInventorySlice} from '../../src/store/inventory-slice.js';
import {buildJobsSlice} from '../../src/store/jobs-slice.js';
import type {PoliciesSlice} from '../../src/store/policies-slice.js';
import {defaultSettings} from '../../src/engine/policy/policy-file.js';

/**
 * Dashboard data made by hand, for view tests with no engine and no broker: records with plausible
 * defaults, a snapshot built by the store's own slice builders, a store fed by hand and actions that
 * record what the views asked.
 */

export const NOW = Date.UTC(2026, 2, 14, 12, 0, 0);

export function deviceRecord(id: string, over: Partial<DeviceRecord> = {}): DeviceRecord {
  const state = over.state ?? 'ready';
  return {
    key: `homie/${id}`, id, prefix: 'homie', homie: '3.0.1', state, online: state === 'ready' || state === 'init' || state === 'alert',
    confirmed: true, fw: {name: 'relay-board', version: '1.0.0'}, implementation: 'esp8266', otaEnabled: true, ip: '10.0.0.2',
    signal: 80, uptime: 3600, statsInterval: 60, lastSeen: NOW - 5000, updateAvailable: false, ...over,
  };
}

export function deviceDetail(record: DeviceRecord, over: {attributes?: Record<string, string>; stats?: Record<string, string>; nodes?: NodeDetail[]; problems?: string[]} = {}): DeviceDetail {
  return {...record, attributes: {$homie: record.homie, $state: record.state, ...over.attributes}, stats: over.stats ?? {}, nodes: over.nodes ?? [], problems: over.problems ?? []};
}

export function firmwareRecord(name: string, version: string, over: Partial<FirmwareRecord> = {}): FirmwareRecord {
  return {
    name, version, file: `${name}-${version}.bin`, size: 420_000, md5: 'abcdef0123456789abcdef0123456789', chip: 'esp8266', gzip: false,
    description: '', sha256: '0'.repeat(64), flash: '4 MB DIO', markers: true, added: NOW - 86_400_000, notes: [], ...over,
  };
}

let nextJob = 1;

/** A job of `device` to `firmware` in `state`, with what the Queue shows of it. */
export function job(device: DeviceRecord, firmware: FirmwareRecord, state: JobState, over: Partial<Job> = {}): Job {
  const id = over.id ?? `j-${nextJob++}`;
  const {name, version, file, md5, size, chip, gzip} = firmware;
  return {
    id, deviceKey: device.key, deviceId: device.id, firmware: {name, version, file, md5, size, chip, gzip}, method: 'mqtt-push', state,
    createdAt: NOW - 60_000, updatedAt: NOW - 1000, attempt: 1, from: device.fw, timeline: [], ...over,
  };
}

export interface HandMade {
  readonly devices?: readonly DeviceRecord[];
  readonly firmware?: readonly FirmwareRecord[];
  readonly jobs?: readonly Job[];
  readonly rollouts?: readonly Rollout[];
  /** device key → detail (default: the record with no attributes beyond $homie and $state) */
  readonly details?: Readonly<Record<string, DeviceDetail>>;
  readonly history?: Readonly<Record<string, readonly HistoryEntry[]>>;
  /** file → why it cannot be deleted */
  readonly deleteRefusals?: Readonly<Record<string, string>>;
  readonly readonly?: boolean;
  readonly now?: number;
  readonly settings?: Partial<DashboardSettings>;
  readonly log?: readonly LogEntry[];
  readonly otaUrl?: string;
  /** armed firmware names and pinned device keys */
  readonly policies?: Partial<PoliciesSlice>;
  /** the discovery's progress (default: complete, nothing loading) */
  readonly discovery?: Partial<DiscoveryStatus>;
}

const ROOT = '/srv/homie-ota/firmwares';

/** A whole snapshot from hand-made records, built by the same slice builders the engine's store uses. */
export function handSnapshot(made: HandMade = {}, previous?: DashboardSnapshot): DashboardSnapshot {
  const devices = made.devices ?? [];
  const firmware = made.firmware ?? [];
  const readonly = made.readonly ?? false;
  const settings: DashboardSettings = {firmwareRoot: ROOT, concurrency: 2, prefixes: ['homie'], demo: false, ...made.settings};
  const otaUrl = made.otaUrl ?? 'http://127.0.0.1:19080/ota';
  const now = made.now ?? NOW;
  const inventory = {
    list: () => devices,
    discoveryStatus: {phase: 'complete' as const, subscribed: devices.length, queued: 0, completedAt: NOW - 60_000, lateFinds: 0, loading: 0, ...made.discovery} as DiscoveryStatus,
    counts: {online: devices.filter(d => d.online).length, unconfirmed: devices.filter(d => !d.confirmed).length},
  };
  const jobs = buildJobsSlice({ota: {revision: (previous?.jobs.revision ?? 0) + 1, list: () => made.jobs ?? [], rollouts: () => made.rollouts ?? []}, config: settings}, undefined, now);
  const store = {
    list: () => firmware, drops: () => [], outcomes: () => [], root: settings.firmwareRoot,
    pathOf: (record: FirmwareRecord) => path.join(settings.firmwareRoot, record.file),
    deleteRefusal: (record: FirmwareRecord) => (readonly ? 'read-only mode (--readonly): firmware cannot be deleted' : made.deleteRefusals?.[record.file] ?? null),
  };
  return {
    revision: (previous?.revision ?? 0) + 1,
    now,
    mqtt: {state: 'connected', url: 'mqtt://127.0.0.1:1883', since: NOW - 120_000, connects: 1},
    otaUrl,
    embeddedBroker: null,
    readonly,
    settings,
    log: made.log ?? [],
    problems: [],
    lastNotice: null,
    devices: buildInventorySlice(inventory, undefined),
    firmware: buildFirmwareSlice({firmware: store, inventory, otaUrl, readonly, config: {watch: true}}, undefined),
    jobs,
    policies: {armed: [], pins: [], defaults: defaultSettings(settings.concurrency), ...made.policies},
    focus: null,
  };
}

/** The focus the engine's store would give for `key`: the device and its open job as the snapshot has them, detail and history as made. */
export function handFocus(made: HandMade, key: string, snapshot: DashboardSnapshot): DeviceFocus {
  const record = snapshot.devices.devices.find(d => d.key === key);
  return {
    key,
    detail: record ? made.details?.[key] ?? deviceDetail(record) : undefined,
    activeJob: snapshot.jobs.jobs.slice(0, snapshot.jobs.totals.open).find(j => j.deviceKey === key),
    history: made.history?.[key] ?? [],
  };
}

export interface ActionCall {
  readonly name: keyof DashboardActions;
  readonly args: readonly unknown[];
}

/** Actions that do nothing but record the call and answer as told (ok, "done", by default). */
export interface RecordingActions extends DashboardActions {
  readonly calls: ActionCall[];
  /** answer the next calls of `name` with this */
  answer(name: keyof DashboardActions, outcome: ActionOutcome | UpdateOutcome): void;
}

export function recordingActions(): RecordingActions {
  const calls: ActionCall[] = [];
  const answers = new Map<keyof DashboardActions, ActionOutcome | UpdateOutcome>();
  const act = (name: keyof DashboardActions) => (...args: unknown[]) => {
    calls.push({name, args});
    return Promise.resolve(answers.get(name) ?? (name === 'createUpdate' ? {jobs: [], skipped: [], refused: []} : {ok: true, message: `${name} done`}));
  };
  return {
    calls,
    answer: (name, outcome) => void answers.set(name, outcome),
    createUpdate: act('createUpdate') as DashboardActions['createUpdate'],
    cancelJob: act('cancelJob') as DashboardActions['cancelJob'],
    retryJob: act('retryJob') as DashboardActions['retryJob'],
    setRolloutState: act('setRolloutState') as DashboardActions['setRolloutState'],
    dismissRollout: act('dismissRollout') as DashboardActions['dismissRollout'],
    setFirmwareDescription: act('setFirmwareDescription') as DashboardActions['setFirmwareDescription'],
    deleteFirmware: act('deleteFirmware') as DashboardActions['deleteFirmware'],
    forgetDevice: act('forgetDevice') as DashboardActions['forgetDevice'],
    armPolicy: act('armPolicy') as DashboardActions['armPolicy'],
    disarmPolicy: act('disarmPolicy') as DashboardActions['disarmPolicy'],
    setPinned: act('setPinned') as DashboardActions['setPinned'],
    notice: (...args) => {
      calls.push({name: 'notice', args});
      return Promise.resolve();
    },
  };
}

/** A store fed with hand-made data (its focus answered from it) and recording actions. */
export function handSource(made: HandMade = {}): {store: FedStore; actions: RecordingActions; made: HandMade} {
  const store = createFedStore(handSnapshot(made), {intervalMs: 20, focus: (key, snapshot) => handFocus(made, key, snapshot), now: () => made.now ?? NOW});
  return {store, actions: recordingActions(), made};
}
