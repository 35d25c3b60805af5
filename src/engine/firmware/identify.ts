import crypto from 'node:crypto';
import zlib from 'node:zlib';
import {findHomieMarkers} from './markers.js';
import {parseImage, type Esp32AppInfo} from './image-format.js';

/**
 * Everything homie-ota can tell about a firmware file from its bytes alone. Pure: no file system.
 * `problem` is set when the file must not be offered to a device; it says what to do about it.
 */
export interface Identification {
  readonly size: number;
  /** lowercase hex of the file as stored (gzip: of the compressed bytes) */
  readonly md5: string;
  readonly sha256: string;
  readonly gzip: boolean;
  /** gzip only: MD5 of the inflated image, which is what the device reports as $fw/checksum afterwards */
  readonly imageMd5?: string;
  /** esp8266 (Arduino layout), esp32 (IDF image), image (unrecognised 0xE9 layout), none (not an image) */
  readonly format: 'esp8266' | 'esp32' | 'image' | 'none';
  readonly chip: string;
  /** flash size and mode from the header, e.g. "4 MB DIO" */
  readonly flash: string;
  readonly app?: Esp32AppInfo;
  /** Homie markers: name and version when both were found and are valid */
  readonly name?: string;
  readonly version?: string;
  readonly brand?: string;
  /** `%HOMIE_ESP8266_FW%` is present */
  readonly homieSignature: boolean;
  readonly problem?: string;
  readonly notes: readonly string[];
}

export interface IdentifyOptions {
  /** largest inflated size of a gzip image (default 16 MiB): a "gzip bomb" stops there */
  readonly maxInflated?: number;
}

export const DEFAULT_MAX_INFLATED = 16 * 1024 * 1024;

export const NO_MARKERS_REASON = 'no Homie firmware markers: add Homie_setFirmware("name", "1.0.0") to the sketch, or name the file name-version.bin';

function hex(algorithm: string, data: Buffer): string {
  return crypto.createHash(algorithm).update(data).digest('hex');
}

function describeStart(data: Buffer): string {
  if (data.length === 0) return 'the file is empty';
  const head = [...data.subarray(0, 4)].map(b => b.toString(16).padStart(2, '0')).join(' ');
  const text = data.subarray(0, 64).toString('latin1');
  if (/^[\x09\x0a\x0d\x20-\x7e]+$/.test(text)) return `not an ESP firmware image: it starts with text (${JSON.stringify(text.slice(0, 16))}…); export the compiled binary (.bin), not ${/^:/.test(text) ? 'an Intel hex file' : 'a text file'}`;
  if (data[0] === 0x7f && text.startsWith('\u007fELF')) return 'not an ESP firmware image but an ELF file; upload the .bin that the build writes next to the .elf';
  return `not an ESP firmware image: it starts with ${head}, an image starts with e9 (or 1f 8b when gzip-compressed)`;
}

export function identifyFirmware(data: Buffer, options: IdentifyOptions = {}): Identification {
  const base = {size: data.length, md5: hex('md5', data), sha256: hex('sha256', data)};
  const gzip = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
  let image = data;
  let imageMd5: string | undefined;
  if (gzip) {
    const max = options.maxInflated ?? DEFAULT_MAX_INFLATED;
    try {
      image = zlib.gunzipSync(data, {maxOutputLength: max});
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const problem = code === 'ERR_BUFFER_TOO_LARGE'
        ? `the gzip file inflates to more than ${Math.round(max / 1024 / 1024)} MiB, far more than any ESP firmware; it is not a firmware image`
        : `the gzip data is damaged or incomplete (${(error as Error).message}); compress or copy it again`;
      return {...base, gzip, format: 'none', chip: 'unknown', flash: '', homieSignature: false, problem, notes: []};
    }
    imageMd5 = hex('md5', image);
  }
  const markers = findHomieMarkers(image);
  const parsed = parseImage(image);
  const notes = [...(parsed?.notes ?? [])];
  let problem: string | undefined;
  if (!parsed) problem = gzip ? `the gzip file does not hold an ESP firmware image (${describeStart(image)})` : describeStart(image);
  else problem = parsed.problem;
  if (!problem && gzip && parsed?.format === 'esp32') {
    problem = 'a gzip-compressed ESP32 image: ESP32 devices cannot install compressed images; use the plain .bin';
  }
  if (!problem && markers.problem) problem = markers.problem;
  if (gzip) notes.push('gzip-compressed: only ESP8266 devices running Arduino core 2.7.0 or newer can install it, over HTTP only (not by MQTT push)');
  if (markers.present && !markers.signature && !markers.problem) notes.push('Homie markers without the homie-esp8266 signature (a Homie 1.x sketch or hand-made markers)');
  return {
    ...base,
    gzip,
    ...(imageMd5 ? {imageMd5} : {}),
    format: parsed?.format ?? 'none',
    chip: parsed?.chip ?? 'unknown',
    flash: parsed?.flash ?? '',
    ...(parsed?.app ? {app: parsed.app} : {}),
    ...(markers.name ? {name: markers.name} : {}),
    ...(markers.version ? {version: markers.version} : {}),
    ...(markers.brand ? {brand: markers.brand} : {}),
    homieSignature: markers.signature,
    ...(problem ? {problem} : {}),
    notes,
  };
}
