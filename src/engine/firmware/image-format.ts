import crypto from 'node:crypto';

/**
 * The layouts of ESP firmware images (protocols.md §3.2, §3.3): enough to tell the chip family, the
 * flash settings, and whether the file holds the whole image (a truncated copy is caught here, before
 * a device is asked to flash it).
 */
export const IMAGE_MAGIC = 0xe9;

/** The chips an image can be built for. */
export type Chip = 'esp8266' | 'esp32' | 'esp32s2' | 'esp32s3' | 'esp32c3' | 'esp32c2' | 'esp32c6' | 'esp32h2';

export const ESP32_CHIP_IDS: Record<Exclude<Chip, 'esp8266'>, number> = {
  esp32: 0x0000, esp32s2: 0x0002, esp32c3: 0x0005, esp32s3: 0x0009, esp32c2: 0x000c, esp32c6: 0x000d, esp32h2: 0x0010,
};

const APP_DESC_MAGIC = 0xabcd5432;
const ESP8266_APP_OFFSET = 0x1000;
const MAX_SEGMENTS = 16;

const ESP8266_FLASH_SIZE: Record<number, string> = {0: '512 KB', 1: '256 KB', 2: '1 MB', 3: '2 MB', 4: '4 MB', 8: '8 MB', 9: '16 MB'};
const ESP32_FLASH_SIZE: Record<number, string> = {0: '1 MB', 1: '2 MB', 2: '4 MB', 3: '8 MB', 4: '16 MB', 5: '32 MB', 6: '64 MB', 7: '128 MB'};
const FLASH_MODE: Record<number, string> = {0: 'QIO', 1: 'QOUT', 2: 'DIO', 3: 'DOUT', 4: 'FAST_READ', 5: 'SLOW_READ'};
const CHIP_NAMES = new Map<number, string>(Object.entries(ESP32_CHIP_IDS).map(([name, id]) => [id, name]));

export interface Esp32AppInfo {
  readonly projectName: string;
  readonly appVersion: string;
  readonly idfVersion: string;
  readonly built: string;
}

export interface ImageInfo {
  /** esp8266 (Arduino layout), esp32 (IDF header with app descriptor), or image (0xE9, layout not recognised) */
  readonly format: 'esp8266' | 'esp32' | 'image';
  /** esp8266, esp32, esp32s3, …; unknown when the layout does not say */
  readonly chip: string;
  /** e.g. "4 MB DIO" */
  readonly flash: string;
  readonly app?: Esp32AppInfo;
  /** why the image cannot be flashed (truncated, damaged); absent when it looks whole */
  readonly problem?: string;
  /** things worth knowing that do not stop the image from being used */
  readonly notes: readonly string[];
}

/** Walk the segments of the image at `offset`; the length it needs, or why it cannot be walked. */
function imageLength(data: Buffer, offset: number, headerLength: number): {length: number} | {problem: string} {
  const count = data[offset + 1]!;
  if (count === 0 || count > MAX_SEGMENTS) return {problem: `the image header claims ${count} segments (1 to ${MAX_SEGMENTS} expected): not a firmware image, or a damaged one`};
  let position = offset + headerLength;
  for (let i = 0; i < count; i++) {
    if (position + 8 > data.length) return {length: position + 8 - offset};
    const length = data.readUInt32LE(position + 4);
    if (length > 16 * 1024 * 1024) return {problem: `segment ${i + 1} claims ${length} bytes: a damaged image`};
    position += 8 + length;
  }
  // zero padding, then the checksum byte ends on a 16-byte boundary
  const end = position + (15 - ((position - offset) % 16)) + 1;
  return {length: end - offset};
}

function cString(data: Buffer, start: number, length: number): string {
  const raw = data.subarray(start, start + length);
  const zero = raw.indexOf(0);
  return raw.subarray(0, zero < 0 ? raw.length : zero).toString('latin1').replace(/[^\x20-\x7e]/g, '?');
}

function truncated(needed: number, have: number): string {
  return `the file is truncated: the image needs ${needed} bytes but the file has ${have}; copy or export it again`;
}

function esp32(data: Buffer): ImageInfo {
  const notes: string[] = [];
  const chipId = data.readUInt16LE(12);
  const chip = CHIP_NAMES.get(chipId) ?? `unknown (chip id ${chipId})`;
  const flash = `${ESP32_FLASH_SIZE[data[3]! >> 4] ?? `size code ${data[3]! >> 4}`} ${FLASH_MODE[data[2]!] ?? `mode ${data[2]}`}`;
  const app: Esp32AppInfo = {
    appVersion: cString(data, 48, 32),
    projectName: cString(data, 80, 32),
    built: `${cString(data, 128, 16)} ${cString(data, 112, 16)}`.trim(),
    idfVersion: cString(data, 144, 32),
  };
  const walked = imageLength(data, 0, 24);
  if ('problem' in walked) return {format: 'esp32', chip, flash, app, problem: walked.problem, notes};
  const hashAppended = data[23] === 1;
  const needed = walked.length + (hashAppended ? 32 : 0);
  if (needed > data.length) return {format: 'esp32', chip, flash, app, problem: truncated(needed, data.length), notes};
  if (hashAppended) {
    const digest = crypto.createHash('sha256').update(data.subarray(0, walked.length)).digest();
    if (!digest.equals(data.subarray(walked.length, walked.length + 32))) {
      return {format: 'esp32', chip, flash, app, problem: 'the SHA-256 stored at the end of the image does not match its content: the file is damaged or was edited; build or export it again', notes};
    }
  }
  if (needed < data.length) notes.push(`${data.length - needed} bytes follow the image (ignored by the device)`);
  return {format: 'esp32', chip, flash, app, notes};
}

function esp8266(data: Buffer): ImageInfo {
  const notes: string[] = [];
  // the eboot header's byte 3 is what the updater checks against the real flash size
  const flash = `${ESP8266_FLASH_SIZE[data[3]! >> 4] ?? `size code ${data[3]! >> 4}`} ${FLASH_MODE[data[2]!] ?? `mode ${data[2]}`}`;
  const walked = imageLength(data, ESP8266_APP_OFFSET, 8);
  if ('problem' in walked) return {format: 'esp8266', chip: 'esp8266', flash, problem: walked.problem, notes};
  const needed = ESP8266_APP_OFFSET + walked.length;
  if (needed > data.length) return {format: 'esp8266', chip: 'esp8266', flash, problem: truncated(needed, data.length), notes};
  return {format: 'esp8266', chip: 'esp8266', flash, notes};
}

/**
 * Identify an uncompressed image. Returns null when the data does not start with 0xE9 (not an ESP
 * image at all).
 */
export function parseImage(data: Buffer): ImageInfo | null {
  if (data.length < 1 || data[0] !== IMAGE_MAGIC) return null;
  if (data.length < 24) return {format: 'image', chip: 'unknown', flash: '', problem: truncated(24, data.length), notes: []};
  if (data.length >= 36 && data.readUInt32LE(32) === APP_DESC_MAGIC) return esp32(data);
  if (data.length > ESP8266_APP_OFFSET && data[ESP8266_APP_OFFSET] === IMAGE_MAGIC) return esp8266(data);
  // an 0xE9 image without eboot and without an app descriptor: an old ESP8266 build or a non-IDF tool
  const walked = imageLength(data, 0, 8);
  if ('problem' in walked) return {format: 'image', chip: 'unknown', flash: '', problem: walked.problem, notes: []};
  if (data.length < ESP8266_APP_OFFSET) {
    return {format: 'image', chip: 'unknown', flash: '', problem: truncated(ESP8266_APP_OFFSET + 8, data.length), notes: []};
  }
  const entry = data.readUInt32LE(4);
  const flash = `${ESP8266_FLASH_SIZE[data[3]! >> 4] ?? '?'} ${FLASH_MODE[data[2]!] ?? '?'}`;
  // ESP8266 code starts in its IRAM at 0x4010xxxx: older Arduino cores wrote this layout without eboot
  if (entry >= 0x40100000 && entry < 0x40110000) {
    return {format: 'esp8266', chip: 'esp8266', flash, notes: ['an ESP8266 image without the eboot bootloader in front (an older Arduino core or esptool build)']};
  }
  return {
    format: 'image', chip: 'unknown', flash,
    notes: ['an 0xE9 image of a layout homie-ota does not recognise (no Arduino eboot, no ESP-IDF app descriptor); the chip is not known'],
  };
}
