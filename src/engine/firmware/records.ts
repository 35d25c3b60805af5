import {compareVersions} from '../util/version.js';
import type {Esp32AppInfo} from './image-format.js';
import type {Identification} from './identify.js';

/**
 * One firmware file in the store (the JSON of GET /api/firmware). The first fields are what other
 * features rely on; the rest are shown in the Firmware view and by `homie-ota inspect`.
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
  /** lowercase hex SHA-256 of the file */
  readonly sha256: string;
  /** gzip only: MD5 of the inflated image (what the device reports as $fw/checksum after the update) */
  readonly imageMd5?: string;
  /** flash size and mode from the image header, e.g. "4 MB DIO" */
  readonly flash: string;
  /** name and version came from the Homie markers (false: from the file name) */
  readonly markers: boolean;
  readonly brand?: string;
  /** ESP32 application descriptor */
  readonly app?: Esp32AppInfo;
  /** when the file was stored (ms since epoch; files that were already there: their modification time) */
  readonly added: number;
  readonly notes: readonly string[];
}

export function makeRecord(file: string, name: string, version: string, ident: Identification, fromMarkers: boolean, description: string, added: number): FirmwareRecord {
  const notes = [...ident.notes];
  if (!fromMarkers) notes.push('no Homie markers inside: name and version are taken from the file name');
  return {
    name, version, file,
    size: ident.size, md5: ident.md5, chip: ident.chip, gzip: ident.gzip, description,
    sha256: ident.sha256,
    ...(ident.imageMd5 ? {imageMd5: ident.imageMd5} : {}),
    flash: ident.flash,
    markers: fromMarkers,
    ...(ident.brand ? {brand: ident.brand} : {}),
    ...(ident.app ? {app: ident.app} : {}),
    added,
    notes,
  };
}

/** By name, then newest version first: the order of the Firmware view and of GET /api/firmware. */
export function compareRecords(a: FirmwareRecord, b: FirmwareRecord): number {
  if (a.name !== b.name) return a.name.localeCompare(b.name, 'en', {numeric: true}) || (a.name < b.name ? -1 : 1);
  return compareVersions(b.version, a.version) || (a.version < b.version ? 1 : a.version > b.version ? -1 : 0);
}
