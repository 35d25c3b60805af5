import type {Engine} from '../engine/engine.js';
import type {DashboardActions} from './actions.js';
import {createCoalescingStore} from './create-store.js';
import type {DashboardSettings, DashboardSnapshot, DashboardStore, DeviceFocus} from './dashboard-store.js';
import {buildFirmwareSlice} from './firmware-slice.js';
import {buildInventorySlice} from './inventory-slice.js';
import {buildJobsSlice} from './jobs-slice.js';
import {buildPoliciesSlice} from './policies-slice.js';
import {printable} from '../engine/util/text.js';

/** The dashboard's view of the engine in this process: the store it reads and the actions it may take. */
export interface DashboardSource {
  readonly store: DashboardStore;
  readonly actions: DashboardActions;
}

/**
 * The one place the dashboard meets the engine: a coalescing store fed by the engine's events (they
 * only mark it dirty; a timer rebuilds the snapshot) and the actions, which call the engine.
 */
export function createEngineSource(engine: Engine, options: {intervalMs?: number} = {}): DashboardSource {
  return {store: createEngineStore(engine, options), actions: engineActions(engine)};
}

function createEngineStore(engine: Engine, options: {intervalMs?: number}): DashboardStore {
  let revision = 0;
  let logVersion = -1;
  let lastNotice: DashboardSnapshot['lastNotice'] = null;
  let dirtyLog = true;
  let focusKey: string | null = null;
  const settings: DashboardSettings = {
    firmwareRoot: engine.config.firmwareRoot,
    concurrency: engine.config.concurrency,
    prefixes: engine.config.mqtt.prefixes,
    demo: Boolean(engine.config.demo),
  };

  const store = createCoalescingStore<DashboardSnapshot>(previous => {
    const now = engine.now();
    const lastSeq = engine.logger.recent().at(-1)?.seq ?? 0;
    const log = previous && !dirtyLog && lastSeq === logVersion ? previous.log : engine.logger.recent().slice();
    logVersion = lastSeq;
    dirtyLog = false;
    const problems = [engine.logger.fileError].filter((p): p is string => Boolean(p));
    const jobs = buildJobsSlice(engine, previous?.jobs, now);
    return {
      revision: ++revision,
      now,
      mqtt: engine.mqttStatus,
      otaUrl: engine.otaUrl,
      embeddedBroker: engine.broker ? {port: engine.broker.boundPort, clients: engine.broker.clients} : null,
      readonly: engine.readonly,
      settings,
      log,
      problems,
      lastNotice,
      devices: buildInventorySlice(engine.inventory, previous?.devices),
      firmware: buildFirmwareSlice(engine, previous?.firmware, engine.ota.revision),
      jobs,
      policies: buildPoliciesSlice(engine, previous?.policies),
      focus: focusOn(engine, focusKey, previous?.focus ?? null),
    };
  }, options.intervalMs ?? 100);

  const offs = [
    engine.logger.onEntry(() => {
      dirtyLog = true;
      store.markDirty();
    }),
    engine.bus.on('mqtt', () => store.markDirty()),
    engine.bus.on('inventory', () => store.markDirty()),
    engine.bus.on('firmware', () => store.markDirty()),
    engine.bus.on('jobs', () => store.markDirty()),
    engine.bus.on('policies', () => store.markDirty()),
    engine.bus.on('notice', notice => {
      lastNotice = notice;
      store.markDirty();
    }),
  ];
  // clocks (uptime, "since 12 s") move once a second, not per message
  const tick = setInterval(() => store.markDirty(), 1000);
  tick.unref();

  const dispose = store.dispose;
  return {
    ...store,
    focusDevice(key) {
      if (key === focusKey) return;
      focusKey = key;
      store.flush();
    },
    now: () => engine.now(),
    dispose() {
      clearInterval(tick);
      for (const off of offs) off();
      dispose();
    },
  };
}

/** The focused device's detail and OTA history, rebuilt only when its record or the jobs changed. */
function focusOn(engine: Engine, key: string | null, previous: DeviceFocus | null): DeviceFocus | null {
  if (key === null) return null;
  const record = engine.inventory.get(key);
  const jobsRevision = engine.ota.revision;
  if (previous?.key === key && focusInputs.get(previous)?.record === record && focusInputs.get(previous)?.jobsRevision === jobsRevision) return previous;
  const focus: DeviceFocus = {
    key,
    detail: record ? engine.inventory.detail(key) : undefined,
    activeJob: engine.ota.activeJobFor(key),
    history: engine.ota.historyFor(key),
  };
  focusInputs.set(focus, {record, jobsRevision});
  return focus;
}

const focusInputs = new WeakMap<DeviceFocus, {record: unknown; jobsRevision: number}>();

function engineActions(engine: Engine): DashboardActions {
  return {
    createUpdate: async request => engine.ota.create(request),
    cancelJob: async id => engine.ota.cancel(id),
    retryJob: async id => engine.ota.retry(id),
    setRolloutState: async (id, state) => engine.ota.setRolloutState(id, state),
    dismissRollout: async id => engine.ota.dismissRollout(id),
    setFirmwareDescription: (name, version, text) => engine.firmware.setDescription(name, version, text),
    deleteFirmware: (name, version) => engine.firmware.delete(name, version),
    async forgetDevice(key) {
      engine.notice('inventory', 'info', `forgetting ${printable(key)}: clearing its retained topics on the broker…`);
      const result = await engine.inventory.forget(key);
      if (!result.ok) engine.notice('inventory', 'warn', result.message);
      return result;
    },
    armPolicy: async (name, settings) => engine.policies.arm(name, settings),
    disarmPolicy: async name => engine.policies.disarm(name),
    setPinned: async (keys, pinned) => engine.policies.setPinned(keys, pinned),
    notice: async (area, level, text) => engine.notice(area, level, text),
  };
}
