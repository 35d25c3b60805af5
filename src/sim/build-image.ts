import crypto from 'node:crypto';
import zlib from 'node:zlib';
import {ESP32_CHIP_IDS, type Chip} from '../engine/firmware/image-format.js';
import {MARKERS} from '../engine/firmware/markers.js';

/**
 * Builds small but structurally real ESP firmware images: the ESP8266 Arduino layout (eboot padded to
 * 4 KiB, then the application image), or an ESP32-family image with its 24-byte header, chip id,
 * application descriptor and appended SHA-256. The Homie "Autodetectable Binary Upload" markers are
 * embedded in the data as `Homie_setFirmware()` does. Used by the simulator, the tests, the
 * benchmarks and `--demo`; the engine only reads images (its markers and chip ids are imported here).
 */
export interface BuildImageOptions {
  readonly chip?: Chip;
  /** Homie firmware name and version, embedded with the markers unless `markers` is false */
  readonly name?: string;
  readonly version?: string;
  readonly brand?: string;
  readonly markers?: boolean;
  /** approximate total size in bytes (default 64 KiB) */
  readonly size?: number;
  /** ESP8266 flash size code (high nibble of byte 3; 4 = 4 MB) or ESP32 code (2 = 4 MB) */
  readonly flashSizeCode?: number;
  /** gzip the whole file as elf2bin.py -g does (ESP8266 only) */
  readonly gzip?: boolean;
  /** makes the filler bytes differ between otherwise equal builds */
  readonly seed?: string;
}

/** Deterministic bytes from a seed, so a failing run can be repeated. */
export function filler(length: number, seed: string): Buffer {
  const out = Buffer.alloc(length);
  let block = crypto.createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, length - offset));
    block = crypto.createHash('sha256').update(block).digest();
  }
  return out;
}

export function homieMarkers(name: string, version: string, brand?: string): Buffer {
  const parts = [
    MARKERS.signature, Buffer.from([0]),
    MARKERS.nameLeft, Buffer.from(name, 'latin1'), MARKERS.nameRight, Buffer.from([0]),
    MARKERS.versionLeft, Buffer.from(version, 'latin1'), MARKERS.versionRight, Buffer.from([0]),
  ];
  if (brand) parts.push(MARKERS.brandLeft, Buffer.from(brand, 'latin1'), MARKERS.brandRight, Buffer.from([0]));
  return Buffer.concat(parts);
}

/** One image: header, segments, zero padding and the XOR checksum byte on a 16-byte boundary. */
function espImage(header: Buffer, segments: Array<{address: number; data: Buffer}>): Buffer {
  const parts: Buffer[] = [header];
  let checksum = 0xef;
  for (const segment of segments) {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(segment.address, 0);
    head.writeUInt32LE(segment.data.length, 4);
    parts.push(head, segment.data);
    for (const byte of segment.data) checksum ^= byte;
  }
  let length = parts.reduce((n, p) => n + p.length, 0);
  const pad = 15 - (length % 16);
  parts.push(Buffer.alloc(pad), Buffer.from([checksum]));
  length += pad + 1;
  return Buffer.concat(parts, length);
}

function align4(buffer: Buffer): Buffer {
  return buffer.length % 4 === 0 ? buffer : Buffer.concat([buffer, Buffer.alloc(4 - (buffer.length % 4))]);
}

export function buildFirmwareImage(options: BuildImageOptions = {}): Buffer {
  const chip = options.chip ?? 'esp8266';
  const name = options.name ?? 'demo-firmware';
  const version = options.version ?? '1.0.0';
  const size = options.size ?? 64 * 1024;
  const seed = options.seed ?? `${chip}:${name}@${version}`;
  const markers = options.markers === false ? Buffer.alloc(0) : homieMarkers(name, version, options.brand);
  if (chip === 'esp8266') {
    const flash = options.flashSizeCode ?? 4;
    const bootData = align4(filler(1024, `eboot:${seed}`));
    const eboot = espImage(Buffer.from([0xe9, 1, 2, (flash << 4) | 0, 0x00, 0xf0, 0x10, 0x40]), [{address: 0x4010f000, data: bootData}]);
    const paddedBoot = Buffer.concat([eboot, Buffer.alloc(4096 - eboot.length, 0xaa)]);
    const appLength = Math.max(256, size - 4096 - 64);
    const text = align4(Buffer.concat([filler(Math.floor(appLength / 2), `text:${seed}`), markers]));
    const rodata = align4(filler(Math.max(16, appLength - text.length), `rodata:${seed}`));
    const app = espImage(Buffer.from([0xe9, 2, 2, (flash << 4) | 0, 0x00, 0x10, 0x10, 0x40]), [
      {address: 0x40201010, data: text},
      {address: 0x3ffe8000, data: rodata},
    ]);
    const file = Buffer.concat([paddedBoot, app]);
    return options.gzip ? zlib.gzipSync(file, {level: 9}) : file;
  }
  const header = Buffer.alloc(24);
  header[0] = 0xe9;
  header[1] = 2;
  header[2] = 2;
  header[3] = ((options.flashSizeCode ?? 2) << 4) | 0x0f;
  header.writeUInt32LE(0x40080000, 4);
  header[8] = 0xee;
  header.writeUInt16LE(ESP32_CHIP_IDS[chip], 12);
  header.writeUInt16LE(0xffff, 17);
  header[23] = 1;
  const desc = Buffer.alloc(256);
  desc.writeUInt32LE(0xabcd5432, 0);
  desc.write('1', 16, 'latin1'); // Arduino builds carry the core's version here, not the sketch's
  desc.write('arduino-lib-builder', 48, 'latin1');
  desc.write('00:00:00', 80, 'latin1');
  desc.write('Jan  1 2025', 96, 'latin1');
  desc.write('v5.1.4', 112, 'latin1');
  const dataLength = Math.max(512, size - 24 - 16 - 32 - 256 - 32);
  const drom = align4(Buffer.concat([desc, filler(Math.floor(dataLength / 2), `drom:${seed}`), markers]));
  const irom = align4(filler(Math.max(16, dataLength - drom.length + 256), `irom:${seed}`));
  const image = espImage(header, [{address: 0x3f400020, data: drom}, {address: 0x400d0020, data: irom}]);
  return Buffer.concat([image, crypto.createHash('sha256').update(image).digest()]);
}
