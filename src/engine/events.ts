import type {MqttStatus} from './mqtt/connection.js';

/** Something a user should see as an outcome (a firmware filed, an upload rejected, a job finished). */
export interface Notice {
  readonly time: number;
  readonly level: 'info' | 'warn' | 'error';
  /** area: firmware, inventory, ota, http */
  readonly area: string;
  readonly text: string;
}

/**
 * Engine events. Most are "something changed" signals: listeners read the current state from the
 * engine when they next draw, so a storm of changes costs one redraw (see src/store).
 */
export type EngineEvents = {
  mqtt: [status: MqttStatus];
  /** device records changed (ids of the changed devices; empty means "many or all") */
  inventory: [keys: readonly string[]];
  /** devices that appeared or went, or changed state, firmware or address: every key, never "many" */
  devices: [keys: readonly string[]];
  firmware: [];
  jobs: [];
  /** armed firmware names, their settings or the pins changed */
  policies: [];
  /** the WATCH patterns' matches changed */
  watch: [];
  notice: [notice: Notice];
};
