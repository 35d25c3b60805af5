import zlib from 'node:zlib';
import {ESP32_CHIP_IDS} from '../engine/firmware/image-format.js';
import {MARKERS} from '../engine/firmware/markers.js';

/**
 * What a simulated device learns from an image it flashed: the Homie name/version markers (its
 * next `$fw/name` and `$fw/version`) and the chip the image was built for. Deliberately small; the
 * firmware store has the full identifier.
 */
export interface ImageFacts {
  readonly name?: string;
  readonly version?: string;
  readonly brand?: string;
  /** esp8266, an ESP32-family chip name, or unknown */
  readonly chip: string;
  readonly gzip: boolean;
}

function between(image: Buffer, left: Buffer, right: Buffer, max: number): string | undefined {
  const start = image.indexOf(left);
  if (start < 0) return undefined;
  const from = start + left.length;
  // the first right marker, and only within the length limit (a greedy match gave homie-ota#53)
  const end = image.indexOf(right, from);
  if (end < 0 || end - from > max || end === from) return undefined;
  const bytes = image.subarray(from, end);
  for (const byte of bytes) if (byte < 0x20 || byte > 0x7e) return undefined;
  return bytes.toString('latin1');
}

export function imageChip(image: Buffer): string {
  if (image.length > 36 && image[0] === 0xe9 && image.readUInt32LE(32) === 0xabcd5432) {
    const id = image.readUInt16LE(12);
    const found = Object.entries(ESP32_CHIP_IDS).find(([, value]) => value === id);
    return found ? found[0] : 'esp32';
  }
  if (image.length > 0x1000 && image[0] === 0xe9 && image[0x1000] === 0xe9) return 'esp8266';
  return 'unknown';
}

export function scanImage(data: Buffer): ImageFacts {
  let image = data;
  const gzip = data.length > 2 && data[0] === 0x1f && data[1] === 0x8b;
  if (gzip) {
    try {
      image = zlib.gunzipSync(data, {maxOutputLength: 16 * 1024 * 1024});
    } catch {
      return {chip: 'unknown', gzip};
    }
  }
  return {
    name: between(image, MARKERS.nameLeft, MARKERS.nameRight, 32),
    version: between(image, MARKERS.versionLeft, MARKERS.versionRight, 16),
    brand: between(image, MARKERS.brandLeft, MARKERS.brandRight, 32),
    chip: imageChip(image),
    gzip,
  };
}

/** Flash size in bytes from an ESP8266 header's byte 3 (high nibble), as the Updater reads it. */
const ESP8266_FLASH_KIB: Readonly<Record<number, number>> = {0: 512, 1: 256, 2: 1024, 3: 2048, 4: 4096, 8: 8192, 9: 16384};

export function esp8266FlashBytes(code: number): number | undefined {
  const kib = ESP8266_FLASH_KIB[code];
  return kib === undefined ? undefined : kib * 1024;
}
