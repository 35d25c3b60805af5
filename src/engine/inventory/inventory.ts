import type {Engine, Service} from '../engine.js';

export type DeviceState = 'init' | 'ready' | 'disconnected' | 'sleeping' | 'lost' | 'alert' | 'unknown';

/**
 * One Homie device as homie-ota knows it (the JSON of GET /api/devices). The inventory work may add
 * fields; the ones below are what other features rely on.
 */
export interface DeviceRecord {
  /** unique key "<prefix>/<id>" (Homie 5: "<domain>/5/<id>"); ids can repeat under different prefixes */
  readonly key: string;
  readonly id: string;
  readonly prefix: string;
  /** "1.x", "2.0.0", "3.0.1", "4.0.0", "5.0", … or "unknown" */
  readonly homie: string;
  readonly state: DeviceState;
  readonly name?: string;
  readonly fw: {readonly name?: string; readonly version?: string; readonly checksum?: string};
  /** esp8266, esp32, … ($implementation) */
  readonly implementation?: string;
  /** $implementation/ota/enabled */
  readonly otaEnabled?: boolean;
  readonly ip?: string;
  readonly mac?: string;
  /** Wi-Fi signal in % */
  readonly signal?: number;
  /** seconds since boot */
  readonly uptime?: number;
  readonly statsInterval?: number;
  /** ms since epoch of the last message from the device */
  readonly lastSeen?: number;
  /** a newer version of the device's firmware name is in the store */
  readonly updateAvailable: boolean;
}

/** The live device inventory. (Stub: the inventory work replaces it.) */
export class Inventory implements Service {
  readonly name = 'inventory';

  constructor(readonly engine: Engine) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  list(): readonly DeviceRecord[] {
    return [];
  }

  get(_key: string): DeviceRecord | undefined {
    return undefined;
  }
}
