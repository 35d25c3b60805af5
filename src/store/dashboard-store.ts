import type {Notice} from '../engine/events.js';
import type {HistoryEntry} from '../engine/ota/types.js';
import type {Job} from '../engine/ota/job.js';
import type {LogEntry} from '../engine/log.js';
import type {MqttStatus} from '../engine/mqtt/connection.js';
import type {DeviceDetail} from '../engine/inventory/types.js';
import type {CoalescingStore} from './create-store.js';
import type {InventorySlice} from './inventory-slice.js';
import type {FirmwareSlice} from './firmware-slice.js';
import type {JobsSlice} from './jobs-slice.js';
import type {PoliciesSlice} from './policies-slice.js';

/** The settings the views mention (where to drop firmware, how many transfers at once, …). */
export interface DashboardSettings {
  /** the firmware folder */
  readonly firmwareRoot: string;
  /** OTA_CONCURRENCY: transfers at once */
  readonly concurrency: number;
  /** the MQTT prefixes devices are looked for under */
  readonly prefixes: readonly string[];
  /** a demo: its devices and folder go when it ends */
  readonly demo: boolean;
}

/**
 * The device whose detail is open (asked for with `focusDevice`): the detail of one device is built
 * only while someone looks at it, not for every device on every change.
 */
export interface DeviceFocus {
  readonly key: string;
  /** every attribute, node and property; undefined once the device is gone */
  readonly detail: DeviceDetail | undefined;
  /** its job that has not finished, if any */
  readonly activeJob: Job | undefined;
  /** its finished updates, newest first */
  readonly history: readonly HistoryEntry[];
}

/** A dashboard attached to a homie-ota running elsewhere (another process or host) over its HTTP API. */
export interface AttachedTo {
  /** the service's base URL, e.g. http://127.0.0.1:9080 */
  readonly url: string;
  /** live: the stream flows; reconnecting: the link broke and is being retried (the rest is the last state seen) */
  readonly state: 'live' | 'reconnecting';
  /** why the last attempt failed, while reconnecting */
  readonly error?: string;
}

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
  readonly settings: DashboardSettings;
  /** newest last, bounded */
  readonly log: readonly LogEntry[];
  /** errors the user should notice at once (log file unwritable, …) */
  readonly problems: readonly string[];
  readonly lastNotice: Notice | null;
  readonly devices: InventorySlice;
  readonly firmware: FirmwareSlice;
  readonly jobs: JobsSlice;
  /** armed firmware names (automatic rollouts) and pinned devices */
  readonly policies: PoliciesSlice;
  /** the device asked for with `focusDevice`, null when none is */
  readonly focus: DeviceFocus | null;
  /** set when this dashboard shows a homie-ota in another process (attach); absent for the engine in this process */
  readonly attached?: AttachedTo;
}

/**
 * The dashboard's only read path: snapshots rebuilt at most every interval however many events come
 * (CoalescingStore), whether fed by the engine in this process (engine-source.ts) or by hand.
 */
export interface DashboardStore extends CoalescingStore<DashboardSnapshot> {
  /** include this device's detail and OTA history in the snapshots (null: none); takes effect at once */
  focusDevice(key: string | null): void;
  /** the clock the snapshots are taken by (ms) */
  now(): number;
}
