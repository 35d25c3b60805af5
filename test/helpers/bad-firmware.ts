import crypto from 'node:crypto';
import zlib from 'node:zlib';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {MARKERS} from '../../src/engine/firmware/markers.js';
import {randomBytes} from './hostile-mqtt.js';

/**
 * Firmware files that must never enter the store, each with a file name (always *.bin or *.bin.gz,
 * so the drop folder looks at it) and what is wrong with it. Used by the reliability suite through
 * POST /upload and through the watched folder.
 */
export interface BadFirmware {
  readonly file: string;
  readonly data: Buffer;
  readonly what: string;
}

/** An image with hand-made markers (name/version bytes exactly as given, NUL and all). */
function withMarkers(name: Buffer | string, version: Buffer | string, options: {chip?: 'esp8266' | 'esp32'; twice?: [string, string]; noRight?: boolean; size?: number} = {}): Buffer {
  const base = buildFirmwareImage({chip: options.chip ?? 'esp8266', markers: false, size: options.size ?? 40_000, seed: `${String(name)}:${String(version)}`});
  const mark = (left: Buffer, text: Buffer | string, right: Buffer) => Buffer.concat([left, Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1'), options.noRight ? Buffer.alloc(0) : right, Buffer.from([0])]);
  const parts = [MARKERS.signature, Buffer.from([0]), mark(MARKERS.nameLeft, name, MARKERS.nameRight), mark(MARKERS.versionLeft, version, MARKERS.versionRight)];
  if (options.twice) parts.push(mark(MARKERS.nameLeft, options.twice[0], MARKERS.nameRight), mark(MARKERS.versionLeft, options.twice[1], MARKERS.versionRight));
  // the markers overwrite filler inside the image; an ESP32 image's SHA-256 is fixed up afterwards
  const out = Buffer.from(base);
  const block = Buffer.concat(parts);
  const at = options.chip === 'esp32' ? 600 : 4096 + 600;
  block.copy(out, at);
  if (options.chip === 'esp32') crypto.createHash('sha256').update(out.subarray(0, out.length - 32)).digest().copy(out, out.length - 32);
  return out;
}

export function badFirmware(uploadLimit: number): BadFirmware[] {
  const list: BadFirmware[] = [];
  const add = (file: string, data: Buffer, what: string) => list.push({file: `${String(list.length + 1).padStart(3, '0')}-${file}`, data, what});
  const good8266 = buildFirmwareImage({name: 'good', version: '1.0.0', size: 60_000});
  const good32 = buildFirmwareImage({chip: 'esp32', name: 'good32', version: '1.0.0', size: 60_000});

  add('empty.bin', Buffer.alloc(0), 'an empty file');
  add('readme.bin', Buffer.from('# My sketch\nThis is not a binary.\n'), 'text');
  add('sketch.hex.bin', Buffer.from(':100000000C9434000C9446000C9446000C9446006A\n:00000001FF\n'), 'an Intel hex file');
  add('sketch.elf.bin', Buffer.concat([Buffer.from('\u007fELF\u0001\u0001\u0001'), randomBytes('elf', 5000)]), 'an ELF file');
  add('page.bin', Buffer.from('<!DOCTYPE html><html><body>404 Not Found</body></html>'), 'an HTML error page saved as .bin');
  add('json.bin', Buffer.from('{"firmware":"relay","version":"1.0.0"}'), 'JSON');
  for (const size of [1, 2, 7, 100, 1000, 4096, 40_000, 300_000]) add(`random-${size}.bin`, randomBytes(`rnd${size}`, size), `${size} random bytes`);
  for (const first of [0x00, 0xe8, 0xea, 0xff, 0x1f]) add(`magic-${first.toString(16)}.bin`, Buffer.concat([Buffer.from([first]), good8266.subarray(1)]), `first byte ${first.toString(16)} instead of e9`);
  // truncated copies of valid images, at every interesting place
  for (const cut of [1, 8, 23, 24, 100, 4095, 4096, 4100, 4104, 20_000, good8266.length - 100, good8266.length - 1]) {
    add(`cut8266-${cut}.bin`, good8266.subarray(0, cut), `an ESP8266 image cut at ${cut} bytes`);
  }
  for (const cut of [24, 32, 100, 300, 30_000, good32.length - 33, good32.length - 1]) add(`cut32-${cut}.bin`, good32.subarray(0, cut), `an ESP32 image cut at ${cut} bytes`);
  // headers that lie
  for (const count of [0, 17, 255]) {
    const lying = Buffer.from(good8266);
    lying[4096 + 1] = count;
    add(`segments-${count}.bin`, lying, `the application header claims ${count} segments`);
    const lying32 = Buffer.from(good32);
    lying32[1] = count;
    add(`segments32-${count}.bin`, lying32, `an ESP32 header claiming ${count} segments`);
  }
  for (const length of [0xffffffff, 0x7fffffff, 20_000_000]) {
    const lying = Buffer.from(good8266);
    lying.writeUInt32LE(length, 4096 + 8 + 4);
    add(`seglen-${length}.bin`, lying, `a segment claiming ${length} bytes`);
  }
  // ESP32 images with a broken appended SHA-256, or a changed byte in the middle
  for (const at of [40, 1000, good32.length - 40, good32.length - 1]) {
    const damaged = Buffer.from(good32);
    damaged[at] = damaged[at]! ^ 0xff;
    add(`esp32-flip-${at}.bin`, damaged, `an ESP32 image with byte ${at} changed`);
  }
  // gzip: garbage, cut, a bomb, ESP32 inside, text inside
  add('garbage.bin.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), randomBytes('gz', 3000)]), 'gzip magic with garbage behind it');
  const gz = zlib.gzipSync(good8266);
  for (const cut of [10, 100, Math.floor(gz.length / 2), gz.length - 4]) add(`cutgz-${cut}.bin.gz`, gz.subarray(0, cut), `a gzip image cut at ${cut} bytes`);
  add('bomb.bin.gz', zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024), {level: 9}), 'a gzip bomb (20 MiB of zeros)');
  add('bomb2.bin', zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), {level: 9}), 'a bigger gzip bomb named .bin');
  add('esp32.bin.gz', zlib.gzipSync(good32), 'a gzip-compressed ESP32 image');
  add('text.bin.gz', zlib.gzipSync(Buffer.from('hello world\n'.repeat(100))), 'gzip-compressed text');
  add('nested.bin.gz', zlib.gzipSync(zlib.gzipSync(good8266)), 'gzip inside gzip');
  // markers that must not become a file name
  const names: Array<[Buffer | string, Buffer | string, string]> = [
    ['../../etc/passwd', '1.0.0', 'a name with ../'], ['a/b', '1.0.0', 'a name with a slash'], ['a\\b', '1.0.0', 'a name with a backslash'],
    [Buffer.from('nul\u0000name', 'latin1'), '1.0.0', 'a name with NUL'], ['bell\u0007', '1.0.0', 'a name with a control character'],
    ['x'.repeat(33), '1.0.0', 'a 33-character name'], ['relay', '1'.repeat(17), 'a 17-character version'], ['relay', 'beta', 'a version that is not a version'],
    ['relay', '../1.0', 'a version with ../'], ['.hidden', '1.0.0', 'a name starting with a dot'], ['-dash', '1.0.0', 'a name starting with a dash'],
    ['', '1.0.0', 'an empty name'], ['relay', '', 'an empty version'], ['ünïcode', '1.0.0', 'a non-ASCII name'], ['relay', '1.0.0 ', 'a version ending in a space'],
    ['re lay*', '1.0.0', 'a name with *'], ['relay', '1.0.0/2', 'a version with a slash'], [Buffer.from([0xff, 0xfe, 0x41]), '1.0.0', 'a name of raw bytes'],
    ['CON', '1.0.0;rm -rf', 'a version with shell characters'], ['relay', '%2e%2e', 'a percent-encoded version'],
  ];
  for (const [name, version, what] of names) {
    add(`marker-${list.length}.bin`, withMarkers(name, version), what);
    add(`marker32-${list.length}.bin`, withMarkers(name, version, {chip: 'esp32'}), `${what} (ESP32)`);
  }
  add('twice.bin', withMarkers('relay', '1.0.0', {twice: ['other', '2.0.0']}), 'two different names and versions in one binary');
  add('twice32.bin', withMarkers('relay', '1.0.0', {chip: 'esp32', twice: ['relay', '9.9.9']}), 'two different versions (ESP32)');
  add('noright.bin', withMarkers('relay', '1.0.0', {noRight: true}), 'markers without their closing half');
  const onlyName = Buffer.from(good8266);
  Buffer.concat([MARKERS.nameLeft, Buffer.from('lonely'), MARKERS.nameRight, Buffer.from([0])]).copy(onlyName, 4096 + 600);
  add('onlyname.bin', onlyName, 'a name marker without a version marker');
  // valid images nobody can name: no markers, and not called name-version.bin
  for (const file of ['firmware.bin', 'sketch.ino.d1_mini.bin', 'relay.bin', 'relay-latest.bin', 'relay-v.bin', 'relay-1.bin']) {
    add(file, buildFirmwareImage({name: 'unnamed', version: '1.0.0', markers: false, seed: file}), `a valid image without markers, called ${file}`);
  }
  add('unnamed32.bin', buildFirmwareImage({chip: 'esp32', markers: false, seed: 'u32'}), 'a valid ESP32 image without markers');
  // too big
  add('huge.bin', Buffer.concat([buildFirmwareImage({name: 'huge', version: '1.0.0', size: 60_000}), Buffer.alloc(uploadLimit)]), 'larger than OTA_UPLOAD_LIMIT');
  return list;
}

/** Valid firmware that clashes with a stored file: same name and version, other bytes. */
export function conflicting(name: string, version: string, count: number): BadFirmware[] {
  return Array.from({length: count}, (_, i) => ({
    file: `clash-${i + 1}.bin`,
    data: buildFirmwareImage({name, version, seed: `clash-${i}`, size: 30_000 + i * 1000}),
    what: `${name} ${version} again with other content`,
  }));
}
