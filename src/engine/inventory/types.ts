/** The JSON shapes of the inventory (GET /api/devices, GET /api/devices/<id>, …). Re-exported by inventory.ts. */
import type {DeviceEntry} from './device.js';
import type {DiscoveryStatus} from './discovery.js';

export type DeviceState = 'init' | 'ready' | 'disconnected' | 'sleeping' | 'lost' | 'alert' | 'unknown';

/**
 * One Homie device as homie-ota knows it (the JSON of GET /api/devices). Records are immutable: a
 * change produces a new object, so consumers can compare by identity.
 */
export interface DeviceRecord {
  /** unique key "<prefix>/<id>" (Homie 5: "<domain>/5/<id>"); ids can repeat under different prefixes */
  readonly key: string;
  readonly id: string;
  readonly prefix: string;
  /** "1.x", "2.0.0", "3.0.1", "4.0.0", "5.0", … or "unknown" */
  readonly homie: string;
  /** from $state; Homie 1/2 `$online` true → ready, false → lost */
  readonly state: DeviceState;
  /** connected by its own account: state init, ready or alert */
  readonly online: boolean;
  /** heard from the broker since homie-ota started (false: known only from inventory.json) */
  readonly confirmed: boolean;
  readonly name?: string;
  readonly fw: {readonly name?: string; readonly version?: string; readonly checksum?: string};
  /** esp8266, esp32, … ($implementation) */
  readonly implementation?: string;
  /** $implementation/ota/enabled */
  readonly otaEnabled?: boolean;
  /** the last retained $implementation/ota/status (e.g. "200", "206 1024/4096") */
  readonly otaStatus?: string;
  readonly ip?: string;
  readonly mac?: string;
  /** Wi-Fi signal in % */
  readonly signal?: number;
  /** seconds since boot, as last reported */
  readonly uptime?: number;
  /** seconds between stats reports ($stats/interval; homie-esp8266 2.0 sends 0) */
  readonly statsInterval?: number;
  /** ms since epoch of the last live (non-retained) message from the device */
  readonly lastSeen?: number;
  /** a newer version of the device's firmware name is in the store */
  readonly updateAvailable: boolean;
  /** the newest version of the device's firmware name in the store */
  readonly latest?: string;
}

export interface PropertyDetail {
  readonly id: string;
  readonly value?: string;
  readonly name?: string;
  readonly datatype?: string;
  readonly unit?: string;
  readonly settable?: boolean;
  readonly retained?: boolean;
  readonly format?: string;
  /** the retained value of …/set, when the device keeps one */
  readonly set?: string;
}

export interface NodeDetail {
  readonly id: string;
  readonly name?: string;
  readonly type?: string;
  /** Homie 3 array range, e.g. "0-2" */
  readonly array?: string;
  readonly properties: readonly PropertyDetail[];
}

/** GET /api/devices/<id>: the record plus every attribute and the nodes with their properties. */
export interface DeviceDetail extends DeviceRecord {
  /** every device-level attribute ("$name", "$fw/name", "$stats/uptime", …) as last received */
  readonly attributes: Readonly<Record<string, string>>;
  /** $stats/* by name (uptime, signal, interval, cputemp, battery, freeheap, …) */
  readonly stats: Readonly<Record<string, string>>;
  readonly nodes: readonly NodeDetail[];
  /** problems reading what the device sent (a bad $description, too many topics) */
  readonly problems: readonly string[];
}

/** GET /api/inventory */
export interface InventoryStatus {
  readonly total: number;
  /** state init, ready or alert */
  readonly online: number;
  /** devices per state */
  readonly states: Readonly<Partial<Record<DeviceState, number>>>;
  /** known only from inventory.json so far */
  readonly unconfirmed: number;
  readonly discovery: DiscoveryStatus;
  readonly file: string;
  readonly lastSaved?: number;
  readonly saveError?: string;
}

/** A device found by key or bare id, an id used under several prefixes, or nothing. */
export type Lookup = {readonly entry: DeviceEntry} | {readonly ambiguous: readonly string[]} | null;

/** The outcome of forgetting a device (the HTTP answer and the TUI notice are made from it). */
export type ForgetResult =
  | {readonly ok: true; readonly key: string; readonly cleared: number; readonly failed: number; readonly wasOnline: boolean; readonly message: string}
  | {readonly ok: false; readonly status: 403 | 404 | 409 | 503; readonly message: string};
