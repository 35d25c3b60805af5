import type {Chip} from '../engine/firmware/image-format.js';
import type {Faults} from './faults.js';
import type {Generation} from './generations.js';
import type {HttpUpdateResult} from './http-update.js';
import type {DeviceLink} from './link.js';
import type {Pacer} from './pacer.js';

/** One simulated device as asked for; everything but the generation has a default. */
export interface DeviceSpec {
  /** Homie device id (default: the MAC-derived id a real device uses) */
  readonly id?: string;
  readonly name?: string;
  /** default v3 */
  readonly generation?: Generation;
  /** esp8266 (default) or an ESP32-family chip; Homie 1.x and 2.x are ESP8266 only */
  readonly chip?: Chip;
  /** base topic without the trailing slash (default homie; devices for Homie 1.x) */
  readonly prefix?: string;
  /** firmware name@version, or the pair */
  readonly fw?: string | {readonly name: string; readonly version: string};
  readonly faults?: Faults;
  /** 206 after every chunk (1, v2.0.0 – v3.0.1) or on the 101st and every 100th (100, develop) */
  readonly progressEvery?: number;
  /** an ESP8266 core ≤ 2.4.2: the final MD5 check is case-sensitive */
  readonly md5CaseSensitive?: boolean;
  /** the chip's flash mode; ESP8266 OTA rewrites the image's mode byte, changing `$fw/checksum` (default dio) */
  readonly flashMode?: 'qio' | 'qout' | 'dio' | 'dout';
  /** free sketch space in bytes (default: 1 MB sketch area on ESP8266, the 1,310,720-byte OTA slot on ESP32) */
  readonly freeSpace?: number;
  /** device_stats_interval in seconds (default the fleet's, 60) */
  readonly statsInterval?: number;
  /** the ESP8266 core a Homie 1.x device was built with: its HTTP update headers (default 2.3.0) */
  readonly core?: string;
}

/** What the fleet gives every device. */
export interface DeviceEnv {
  readonly link: DeviceLink;
  readonly pacer: Pacer;
  readonly connectPacer: Pacer;
  /** decoded bytes per second a device writes to flash during an OTA */
  readonly flashSpeed: number;
  readonly chunkSize: number;
  /** ms from reset to MQTT connect (boot, Wi-Fi) */
  readonly rebootDelay: number;
  readonly statsInterval: number;
  /** where Homie 1.x devices fetch firmware (ota.host/port/path) */
  readonly otaHttpUrl: string;
  readonly mqttHost: string;
  readonly mqttPort: number;
  readonly random: () => number;
  readonly seed: string;
  readonly index: number;
  readonly log?: (device: string, text: string) => void;
}

export type DeviceState =
  | 'off' // not started, or stopped
  | 'connecting'
  | 'advertising'
  | 'ready'
  | 'flashing' // an MQTT push OTA is being written
  | 'stalled' // fault: silent mid-transfer
  | 'rebooting'
  | 'ota-mode' // Homie 1.x: rebooted into OTA mode, pulling over HTTP
  | 'sleeping'
  | 'offline' // forced offline by the API
  | 'config-mode' // reset over MQTT: waits for configuration, never reconnects by itself
  | 'dead'; // never came back (fault, or flashed something that does not boot)

export interface StatusEntry {
  readonly time: number;
  readonly payload: string;
}

export interface HistoryEntry {
  readonly time: number;
  readonly text: string;
}

export interface FirmwareInfo {
  readonly name: string;
  readonly version: string;
  readonly checksum: string;
}

/** Events of a device (`device.on(…)`, `device.waitFor(…)`). */
export interface DeviceEvents {
  state: [state: DeviceState];
  /** the advertisement finished: `$state` ready / `$online` true is acknowledged by the broker */
  advertised: [fw: FirmwareInfo];
  /** back after a reboot (OTA, config change, rollback, request) and advertised again */
  rebooted: [info: {readonly reason: string; readonly fw: FirmwareInfo}];
  /** an OTA status this device published */
  status: [payload: string];
  /** a Homie 1.x HTTP pull finished */
  pull: [result: HttpUpdateResult];
  /** a /set was accepted and echoed */
  set: [info: {readonly node: string; readonly property: string; readonly value: string}];
  broadcast: [info: {readonly level: string; readonly payload: string}];
}
