import {execFile} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {PassThrough} from 'node:stream';
import {promisify} from 'node:util';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {main} from '../../src/commands/inspect.js';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {CLI, ensureBuilt} from '../helpers/pty.js';
import {tempDir} from '../helpers/tmp.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(() => cleanup());

async function inspect(...args: string[]): Promise<{code: number; out: string; err: string}> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', d => (o += d));
  err.on('data', d => (e += d));
  const code = await main(args, out, err);
  return {code, out: o, err: e};
}

function write(name: string, data: Buffer | string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return file;
}

describe('homie-ota inspect', () => {
  it('prints everything detected and the name the store would use', async () => {
    const file = write('lt.ino.d1_mini.bin', buildFirmwareImage({name: 'lt', version: '2.0.0', brand: 'acme'}));
    const {code, out} = await inspect(file);
    expect(code).toBe(0);
    expect(out).toContain('usable      yes: would be stored as lt-2.0.0.bin');
    expect(out).toContain('firmware    lt 2.0.0 (Homie markers, homie-esp8266 signature, brand acme)');
    expect(out).toContain('image       esp8266, flash 4 MB DIO');
    expect(out).toMatch(/md5 +[0-9a-f]{32}\n/);
    expect(out).toMatch(/sha256 +[0-9a-f]{64}\n/);
  });

  it('shows ESP32 details and gzip, and exits 1 when any file is not usable', async () => {
    const esp32 = write('s3.bin', buildFirmwareImage({chip: 'esp32s3', name: 'cam', version: '0.9.1'}));
    const gz = write('relay.bin.gz', buildFirmwareImage({name: 'relay', version: '1.0.0', gzip: true}));
    const bad = write('notes.bin', 'hello');
    const {code, out} = await inspect(esp32, gz, bad, path.join(dir, 'missing.bin'));
    expect(code).toBe(1);
    expect(out).toMatch(/image +esp32s3, flash 4 MB DIO/);
    expect(out).toMatch(/esp-idf app +arduino-lib-builder 1, IDF v5\.1\.4/);
    expect(out).toMatch(/gzip +yes \(inflated image MD5 [0-9a-f]{32}\)/);
    expect(out).toMatch(/notes\.bin\n +usable +no: not an ESP firmware image: it starts with text/);
    expect(out).toMatch(/missing\.bin\n +usable +no: cannot read it \(ENOENT\)/);
  });

  it('answers JSON with --json', async () => {
    const file = write('x-1.0.0.bin', buildFirmwareImage({markers: false}));
    const {code, out} = await inspect('--json', file);
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed).toEqual([expect.objectContaining({file, usable: true, storeAs: 'x-1.0.0.bin', identification: expect.objectContaining({chip: 'esp8266', gzip: false})})]);
  });

  it('exits 2 with usage when no file is given', async () => {
    const {code, err} = await inspect();
    expect(code).toBe(2);
    expect(err).toMatch(/no file given\nUsage: homie-ota inspect/);
  });

  it('runs as a sub-command of the built CLI', async () => {
    ensureBuilt();
    const file = write('fw.bin', buildFirmwareImage({name: 'cli', version: '1.0.0'}));
    const {stdout} = await promisify(execFile)(process.execPath, [CLI, 'inspect', file]);
    expect(stdout).toContain('yes: would be stored as cli-1.0.0.bin');
  });
});
