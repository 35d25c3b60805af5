import type {PublishOptions, PublishOutcome} from '../mqtt/client.js';
import type {FirmwareRecord} from '../firmware/store.js';
import type {DeviceRecord} from '../inventory/inventory.js';

/**
 * What the OTA queue needs from the rest of homie-ota, each as small as it can be. engine.ts hands
 * over its clock, inventory, firmware store and MQTT connection, which fit these shapes as they are.
 */

/** The wall clock the waits are measured in. */
export interface Clock {
  now(): number;
}

/** Tells the user about an outcome (the Log view, the log file, the headless output). */
export interface NoticeSink {
  notice(area: string, level: 'info' | 'warn' | 'error', text: string): void;
}

/** The devices homie-ota knows. */
export interface DeviceLookup {
  get(key: string): DeviceRecord | undefined;
  list(): readonly DeviceRecord[];
  /** the device's retained attributes are still arriving (what it lacks may yet come) */
  isLoading?(key: string): boolean;
}

/** The inventory, and whether its first load from the broker is complete (jobs decide on complete records only). */
export interface DeviceInventory extends DeviceLookup {
  readonly discoveryStatus: {readonly completedAt?: number};
}

/** The firmware a job needs: found by name and version, read with its MD5 checked. */
export interface FirmwareLookup {
  find(name: string, version: string): FirmwareRecord | undefined;
  readChecked(record: FirmwareRecord): Promise<{ok: true; data: Buffer} | {ok: false; reason: string}>;
}

/** The firmware the HTTP pull endpoint chooses from. */
export interface FirmwareCatalog {
  find(name: string, version: string): FirmwareRecord | undefined;
  list(): readonly FirmwareRecord[];
  newest(name: string): FirmwareRecord | undefined;
  byMd5(md5: string): FirmwareRecord | undefined;
  pathOf(record: FirmwareRecord): string;
}

/** Publishes on homie-ota's MQTT connection. */
export interface MqttPublisher {
  /** false when it did not reach the broker, or may not have */
  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<boolean>;
  /** sent, not sent, or unconfirmed (it left, and the connection broke before the broker confirmed it) */
  send(topic: string, payload: string | Buffer, options: PublishOptions): Promise<PublishOutcome>;
  /** connections made so far: a reconnect during a transfer explains a stall */
  readonly status: {readonly connects: number};
}

/** The settings the OTA queue reads (a slice of the configuration, which fits as it is). */
export interface OtaSettings {
  /** jobs.json lives here */
  readonly firmwareRoot: string;
  /** transfers at the same time (OTA_CONCURRENCY) */
  readonly concurrency: number;
  /** push images base64-encoded (MQTT_BASE64) */
  readonly base64: boolean;
  /** job and rollout events go below mqtt.eventsTopic */
  readonly mqtt: {readonly eventsTopic: string};
  /** --readonly: nothing is sent or written */
  readonly readonly: boolean;
}

/** An HTTP route for engine.ts to register (the HTTP server's own description of one). */
export type {RouteDescriptor} from '../http/server.js';
