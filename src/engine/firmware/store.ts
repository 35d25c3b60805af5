import type {Engine, Service} from '../engine.js';

/**
 * One firmware file in the store (the JSON of GET /api/firmware). The firmware work may add fields;
 * the ones below are what other features rely on.
 */
export interface FirmwareRecord {
  readonly name: string;
  readonly version: string;
  /** file name inside OTA_FIRMWARE_ROOT, e.g. relay-1.2.0.bin */
  readonly file: string;
  readonly size: number;
  /** lowercase hex MD5 of the file */
  readonly md5: string;
  /** esp8266, esp32, esp32s3, … or unknown */
  readonly chip: string;
  /** the file is gzip-compressed (ESP8266 HTTP updates only) */
  readonly gzip: boolean;
  readonly description: string;
}

/** The firmware store. (Stub: the firmware work replaces it.) */
export class FirmwareStore implements Service {
  readonly name = 'firmware store';

  constructor(readonly engine: Engine) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  list(): readonly FirmwareRecord[] {
    return [];
  }
}
