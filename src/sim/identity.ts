import crypto from 'node:crypto';
import {buildFirmwareImage} from './build-image.js';
import type {Chip} from '../engine/firmware/image-format.js';

/** Size of the firmware image a simulated device "runs" (and of the demo firmware files). */
export const SIM_IMAGE_SIZE = 256 * 1024;

/** A small seeded PRNG (mulberry32): the same seed gives the same fleet, faults and values. */
export function seededRandom(seed: string): () => number {
  let state = crypto.createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Identity {
  /** the Wi-Fi STA MAC as WiFi.macAddress() prints it: uppercase, colons */
  readonly mac: string;
  readonly apMac: string;
  /** ESP.getChipId(): the last three MAC bytes on an ESP8266 */
  readonly chipId: number;
  /** default Homie device id: 12 lowercase hex digits (v2+), 8 for Homie 1.x */
  readonly defaultId: string;
  readonly ip: string;
}

// Espressif OUIs as seen on real boards
const OUI: Record<'esp8266' | 'esp32', readonly number[]> = {esp8266: [0x5c, 0xcf, 0x7f], esp32: [0x24, 0x0a, 0xc4]};

const hex = (bytes: readonly number[], sep: string) => bytes.map(b => b.toString(16).padStart(2, '0')).join(sep);

/** A stable identity for device number `index` of a fleet seeded with `seed`. */
export function deviceIdentity(seed: string, index: number, chip: 'esp8266' | 'esp32', homie1: boolean): Identity {
  const digest = crypto.createHash('sha256').update(`${seed}:${index}`).digest();
  // an odd multiplier makes index → MAC tail a permutation of 2^24: no two devices of a fleet share a MAC
  const base = crypto.createHash('sha256').update(seed).digest().readUIntBE(0, 3);
  const n = (base + Math.imul(index, 0x9e3779)) & 0xffffff;
  const tail = [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const bytes = [...OUI[chip], ...tail];
  const mac = hex(bytes, ':').toUpperCase();
  // the soft-AP MAC differs from the STA MAC (locally administered bit on the first byte)
  const apMac = hex([bytes[0]! | 0x02, ...bytes.slice(1)], ':').toUpperCase();
  const chipId = (tail[0]! << 16) | (tail[1]! << 8) | tail[2]!;
  // Homie 1.x: six hex digits of the chip id plus two of the flash chip id
  const defaultId = homie1 ? `${hex(tail, '')}${digest[3]!.toString(16).padStart(2, '0')}` : hex(bytes, '');
  const ip = `10.${40 + Math.floor(index / 62_500) % 200}.${Math.floor(index / 250) % 250}.${2 + (index % 250)}`;
  return {mac, apMac, chipId, defaultId, ip};
}

export interface RunningImage {
  readonly image: Buffer;
  /** ESP.getSketchMD5(): lowercase hex */
  readonly md5: string;
  readonly sha256: string;
}

const images = new Map<string, RunningImage>();

/**
 * The image a device runs for a firmware name and version: built the same way as the demo firmware
 * files, so a device on demo-light 1.0.0 reports the MD5 of demo-light-1.0.0.bin in `$fw/checksum`.
 * Cached: a fleet of 20,000 devices on three versions builds three images.
 */
export function runningImage(chip: Chip, name: string, version: string): RunningImage {
  const key = `${chip}\u0000${name}\u0000${version}`;
  let found = images.get(key);
  if (!found) {
    const image = buildFirmwareImage({chip, name, version, size: SIM_IMAGE_SIZE});
    found = {image, md5: md5(image), sha256: crypto.createHash('sha256').update(image).digest('hex')};
    if (images.size > 256) images.clear();
    images.set(key, found);
  }
  return found;
}

export function md5(data: Buffer): string {
  return crypto.createHash('md5').update(data).digest('hex');
}

/** "relay@1.2.0" → name and version; a clear error for anything else. */
export function splitFw(text: string): {name: string; version: string} {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) throw new Error(`firmware "${text}": write name@version, e.g. relay@1.2.0`);
  return {name: text.slice(0, at), version: text.slice(at + 1)};
}
