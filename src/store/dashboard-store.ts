import type {Engine} from '../engine/engine.js';
import type {Notice} from '../engine/events.js';
import type {LogEntry} from '../engine/log.js';
import type {MqttStatus} from '../engine/mqtt/connection.js';
import {createCoalescingStore, type CoalescingStore} from './create-store.js';
import {buildInventorySlice, type InventorySlice} from './inventory-slice.js';
import {buildFirmwareSlice, type FirmwareSlice} from './firmware-slice.js';
import {buildJobsSlice, type JobsSlice} from './jobs-slice.js';

/** Everything the dashboard draws, as plain immutable data. */
export interface DashboardSnapshot {
  /** rises with every rebuild */
  readonly revision: number;
  /** wall clock of the rebuild; ages and uptimes are computed from it (ticks once a second) */
  readonly now: number;
  readonly mqtt: MqttStatus;
  readonly otaUrl: string;
  readonly embeddedBroker: {readonly port: number; readonly clients: number} | null;
  readonly readonly: boolean;
  /** newest last, bounded */
  readonly log: readonly LogEntry[];
  /** errors the user should notice at once (log file unwritable, …) */
  readonly problems: readonly string[];
  readonly lastNotice: Notice | null;
  readonly devices: InventorySlice;
  readonly firmware: FirmwareSlice;
  readonly jobs: JobsSlice;
}

export type DashboardStore = CoalescingStore<DashboardSnapshot>;

/** Wire a coalescing store to the engine: events only mark it dirty; a timer rebuilds the snapshot. */
export function createDashboardStore(engine: Engine, options: {intervalMs?: number} = {}): DashboardStore {
  let revision = 0;
  let logVersion = -1;
  let lastNotice: Notice | null = null;
  let dirtyLog = true;

  const store = createCoalescingStore<DashboardSnapshot>(previous => {
    const now = engine.now();
    const lastSeq = engine.logger.recent().at(-1)?.seq ?? 0;
    const log = previous && !dirtyLog && lastSeq === logVersion ? previous.log : engine.logger.recent().slice();
    logVersion = lastSeq;
    dirtyLog = false;
    const problems = [engine.logger.fileError].filter((p): p is string => Boolean(p));
    return {
      revision: ++revision,
      now,
      mqtt: engine.mqttStatus,
      otaUrl: engine.otaUrl,
      embeddedBroker: engine.broker ? {port: engine.broker.boundPort, clients: engine.broker.clients} : null,
      readonly: engine.readonly,
      log,
      problems,
      lastNotice,
      devices: buildInventorySlice(engine, previous?.devices),
      firmware: buildFirmwareSlice(engine, previous?.firmware),
      jobs: buildJobsSlice(engine, previous?.jobs, now),
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
    dispose() {
      clearInterval(tick);
      for (const off of offs) off();
      dispose();
    },
  };
}
