import crypto from 'node:crypto';
import zlib from 'node:zlib';
import {describe, expect, it} from 'vitest';
import {buildFirmwareImage, homieMarkers} from '../../src/sim/build-image.js';
import type {Chip} from '../../src/engine/firmware/image-format.js';
import {identifyFirmware, NO_MARKERS_REASON} from '../../src/engine/firmware/identify.js';
import {findHomieMarkers, MARKERS} from '../../src/engine/firmware/markers.js';

const md5 = (data: Buffer) => crypto.createHash('md5').update(data).digest('hex');

/** Put `insert` into the middle of an image's data (as a second set of globals would be). */
function withExtra(image: Buffer, insert: Buffer, at = 2048 + 4096): Buffer {
  const copy = Buffer.from(image);
  insert.copy(copy, at);
  return copy;
}

describe('identifying ESP8266 Arduino images', () => {
  it('reads the Homie name and version, the chip, the flash settings, size and hashes', () => {
    const image = buildFirmwareImage({name: 'relay', version: '1.2.3', size: 100_000});
    const id = identifyFirmware(image);
    expect(id).toMatchObject({format: 'esp8266', chip: 'esp8266', name: 'relay', version: '1.2.3', gzip: false, homieSignature: true, size: image.length, flash: '4 MB DIO'});
    expect(id.problem).toBeUndefined();
    expect(id.md5).toBe(md5(image));
    expect(id.md5).toMatch(/^[0-9a-f]{32}$/);
    expect(id.sha256).toBe(crypto.createHash('sha256').update(image).digest('hex'));
  });

  it('reports the flash size code of the eboot header (1 MB boards)', () => {
    expect(identifyFirmware(buildFirmwareImage({flashSizeCode: 2})).flash).toBe('1 MB DIO');
  });

  it('identifies a valid image without markers, but has no name for it', () => {
    const id = identifyFirmware(buildFirmwareImage({markers: false}));
    expect(id.format).toBe('esp8266');
    expect(id.name).toBeUndefined();
    expect(id.problem).toBeUndefined();
  });

  it('reads the brand when Homie_setBrand() was used', () => {
    expect(identifyFirmware(buildFirmwareImage({brand: 'acme'})).brand).toBe('acme');
  });
});

describe('identifying ESP32-family images', () => {
  const chips: Chip[] = ['esp32', 'esp32s2', 'esp32s3', 'esp32c3', 'esp32c2', 'esp32c6', 'esp32h2'];
  it.each(chips)('tells %s from its header chip id and reads the app descriptor', chip => {
    const id = identifyFirmware(buildFirmwareImage({chip, name: 'sensor', version: '2.0.0'}));
    expect(id).toMatchObject({format: 'esp32', chip, name: 'sensor', version: '2.0.0', flash: '4 MB DIO'});
    expect(id.app?.idfVersion).toBe('v5.1.4');
    expect(id.problem).toBeUndefined();
  });

  it('refuses an image whose appended SHA-256 does not match (a damaged copy)', () => {
    const image = buildFirmwareImage({chip: 'esp32', size: 50_000});
    image[5000]! ^= 0xff;
    expect(identifyFirmware(image).problem).toMatch(/SHA-256 .* does not match/);
  });
});

describe('gzip-compressed images', () => {
  it('looks inside, keeps the gzip flag and both MD5s', () => {
    const plain = buildFirmwareImage({name: 'relay', version: '1.0.1'});
    const gz = buildFirmwareImage({name: 'relay', version: '1.0.1', gzip: true});
    const id = identifyFirmware(gz);
    expect(id).toMatchObject({gzip: true, format: 'esp8266', chip: 'esp8266', name: 'relay', version: '1.0.1', size: gz.length});
    expect(id.md5).toBe(md5(gz));
    expect(id.imageMd5).toBe(md5(plain));
    expect(id.notes.join(' ')).toMatch(/core 2\.7\.0/);
  });

  it('refuses a gzip bomb without inflating all of it', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(200_000);
    const before = process.memoryUsage().rss;
    const id = identifyFirmware(bomb);
    expect(id.problem).toMatch(/inflates to more than 16 MiB/);
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024);
  });

  it('refuses a truncated gzip file', () => {
    const gz = buildFirmwareImage({gzip: true});
    expect(identifyFirmware(gz.subarray(0, gz.length - 100)).problem).toMatch(/gzip data is damaged or incomplete/);
  });

  it('refuses gzip around an ESP32 image (ESP32 cannot install it)', () => {
    expect(identifyFirmware(zlib.gzipSync(buildFirmwareImage({chip: 'esp32s3'}))).problem).toMatch(/ESP32 devices cannot install compressed/);
  });
});

describe('broken and hostile files', () => {
  it('refuses a truncated ESP8266 image and says how big it should be', () => {
    const image = buildFirmwareImage({size: 80_000});
    const id = identifyFirmware(image.subarray(0, 40_000));
    expect(id.problem).toMatch(/truncated: the image needs \d+ bytes but the file has 40000/);
  });

  it('refuses a truncated ESP32 image', () => {
    const image = buildFirmwareImage({chip: 'esp32c3', size: 80_000});
    expect(identifyFirmware(image.subarray(0, image.length - 10)).problem).toMatch(/truncated/);
  });

  it('refuses a file with the wrong magic byte, naming the bytes it found', () => {
    const image = buildFirmwareImage();
    image[0] = 0x00;
    expect(identifyFirmware(image).problem).toMatch(/not an ESP firmware image: it starts with 00 01 02 40/);
  });

  it('recognises text and ELF files and says which file to use instead', () => {
    expect(identifyFirmware(Buffer.from(':100000000C9434000C9446000C9446000C9446006A\n')).problem).toMatch(/Intel hex/);
    expect(identifyFirmware(Buffer.concat([Buffer.from('\u007fELF'), Buffer.alloc(100)])).problem).toMatch(/ELF file; upload the \.bin/);
    expect(identifyFirmware(Buffer.alloc(0)).problem).toBe('the file is empty');
  });

  it('takes the first complete marker pair, never a greedy span (homie-ota#53)', () => {
    // the sketch's own globals plus Homie_setFirmware: the markers twice, NUL bytes between them
    const image = withExtra(buildFirmwareImage({name: 'relay', version: '1.0.0'}), homieMarkers('relay', '1.0.0'));
    const id = identifyFirmware(image);
    expect(id.name).toBe('relay');
    expect(id.version).toBe('1.0.0');
    expect(id.problem).toBeUndefined();
  });

  it('refuses two different names or versions instead of guessing', () => {
    const image = withExtra(buildFirmwareImage({name: 'relay', version: '1.0.0'}), homieMarkers('relay', '1.0.1'));
    expect(identifyFirmware(image).problem).toMatch(/2 different firmware versions \("1\.0\.1" and "1\.0\.0"\)|2 different firmware versions \("1\.0\.0" and "1\.0\.1"\)/);
  });

  it('refuses a NUL inside the marked name (the greedy-trap bytes)', () => {
    const trap = Buffer.concat([MARKERS.nameLeft, Buffer.from('rel\0ay', 'latin1'), MARKERS.nameRight, MARKERS.versionLeft, Buffer.from('1.0'), MARKERS.versionRight]);
    const id = identifyFirmware(withExtra(buildFirmwareImage({markers: false}), trap));
    expect(id.problem).toMatch(/NUL, control or non-ASCII/);
    expect(id.name).toBeUndefined();
  });

  it('refuses a name with ../ or a slash', () => {
    for (const name of ['../../etc/passwd', 'a/b', 'a\\b', '..']) {
      const id = identifyFirmware(buildFirmwareImage({name}));
      expect(id.problem, name).toMatch(/path separator or "\.\."/);
    }
  });

  it('refuses a huge name or version with the limit', () => {
    expect(identifyFirmware(buildFirmwareImage({name: 'x'.repeat(33)})).problem).toMatch(/33 characters long; Homie allows at most 32/);
    expect(identifyFirmware(buildFirmwareImage({version: '1.0.0-' + 'a'.repeat(20)})).problem).toMatch(/at most 16/);
  });

  it('refuses unsafe characters and a leading dot or dash', () => {
    expect(identifyFirmware(buildFirmwareImage({name: 'my relay'})).name).toBe('my relay');
    expect(identifyFirmware(buildFirmwareImage({name: 'relay '})).problem).toMatch(/characters other than/);
    expect(identifyFirmware(buildFirmwareImage({name: 'relay@home'})).problem).toMatch(/characters other than/);
    expect(identifyFirmware(buildFirmwareImage({version: '1.0 beta'})).problem).toMatch(/characters other than/);
    expect(identifyFirmware(buildFirmwareImage({name: '.hidden'})).problem).toMatch(/starts with "\."/);
    expect(identifyFirmware(buildFirmwareImage({name: '-rf'})).problem).toMatch(/starts with "-"/);
  });

  it('refuses a name marker whose closing marker never comes', () => {
    const open = Buffer.concat([MARKERS.nameLeft, Buffer.alloc(300, 0x41)]);
    const id = identifyFirmware(withExtra(buildFirmwareImage({markers: false}), open));
    expect(id.problem).toMatch(/no closing marker/);
  });

  it('refuses a version marker without a name marker', () => {
    const half = Buffer.concat([MARKERS.versionLeft, Buffer.from('1.0.0'), MARKERS.versionRight]);
    expect(identifyFirmware(withExtra(buildFirmwareImage({markers: false}), half)).problem).toMatch(/name marker is missing/);
  });

  it('gives the no-markers reason a person can act on', () => {
    expect(NO_MARKERS_REASON).toMatch(/Homie_setFirmware\("name", "1\.0\.0"\).*name-version\.bin/);
  });

  it('never throws on random bytes', () => {
    for (let i = 0; i < 200; i++) {
      const junk = crypto.randomBytes(1 + (i * 97) % 9000);
      if (i % 3 === 0) junk[0] = 0xe9;
      if (i % 5 === 0 && junk.length >= 36) junk.writeUInt32LE(0xabcd5432, 32);
      expect(() => identifyFirmware(junk)).not.toThrow();
    }
  });

  it('never throws on any prefix of a real image, and calls every short one unusable', () => {
    for (const chip of ['esp8266', 'esp32'] as const) {
      const image = buildFirmwareImage({chip, size: 20_000});
      for (let length = 1; length < image.length; length += 37) {
        const id = identifyFirmware(image.subarray(0, length));
        expect(id.problem, `${chip} ${length}`).toBeTruthy();
      }
    }
  });
});

describe('findHomieMarkers', () => {
  it('finds markers anywhere and says they are present', () => {
    const m = findHomieMarkers(Buffer.concat([Buffer.alloc(10), homieMarkers('a', '1.0'), Buffer.alloc(10)]));
    expect(m).toMatchObject({name: 'a', version: '1.0', signature: true, present: true});
  });
});
