import type {Log} from '../log.js';
import type {DiscoveryMqtt} from './discovery.js';
import type {FirmwareVersions} from './firmware-index.js';
import type {ForgetMqtt} from './forget.js';

/** What the inventory needs from homie-ota's settings. */
export interface InventorySettings {
  /** OTA_FIRMWARE_ROOT: inventory.json lives there */
  readonly firmwareRoot: string;
  /** MQTT_SENSOR_PREFIX, as configured */
  readonly prefixes: readonly string[];
  /** --readonly: nothing is written, nothing is forgotten */
  readonly readonly: boolean;
}

/** The MQTT connection as the inventory uses it: subscribe for discovery, clear topics for a forget. */
export interface InventoryMqtt extends DiscoveryMqtt, ForgetMqtt {
  readonly connected: boolean;
}

/** The firmware store as the inventory reads it: which versions exist, to tell "update available". */
export interface FirmwareListing {
  list(): readonly FirmwareVersions[];
}

/** Everything the inventory is given; the engine's composition builds it and feeds it MQTT messages. */
export interface InventoryDeps {
  readonly settings: InventorySettings;
  readonly mqtt: InventoryMqtt;
  readonly firmware: FirmwareListing;
  readonly log: Log;
  /** wall time in ms */
  readonly now: () => number;
  /** an outcome the user must see */
  readonly notice: (level: 'info' | 'warn' | 'error', text: string) => void;
  /** device records changed (their keys; empty: many or all), about once a second at most */
  readonly changed: (keys: readonly string[]) => void;
  /** devices that came, went or changed what the device list shows first: every key, soon */
  readonly devicesChanged: (keys: readonly string[]) => void;
}
