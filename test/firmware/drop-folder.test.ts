import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import type {Engine} from '../../src/engine/engine.js';
import type {Notice} from '../../src/engine/events.js';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {tempDir} from '../helpers/tmp.js';
import {sleep, waitFor} from '../helpers/wait-for.js';
import {firmwareDir, ls, startEngine} from './helpers.js';

let dir: string;
let root: string;
let cleanup: () => void;
const engines: Engine[] = [];
let notices: Notice[] = [];
beforeEach(() => {
  ({dir, cleanup} = tempDir());
  root = firmwareDir(dir);
  notices = [];
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map(e => e.stop()));
  cleanup();
});

async function start(setup: Parameters<typeof startEngine>[1] = {}): Promise<Engine> {
  const engine = await startEngine(dir, setup);
  engine.bus.on('notice', n => notices.push(n));
  engines.push(engine);
  return engine;
}

const md5 = (data: Buffer) => crypto.createHash('md5').update(data).digest('hex');
const rejected = () => ls(path.join(root, 'rejected'));

describe('the watched drop folder', () => {
  it('files a binary dropped under any name as name-version.bin and says so', async () => {
    const engine = await start();
    const image = buildFirmwareImage({name: 'lt', version: '2.0.0'});
    fs.writeFileSync(path.join(root, 'lt.ino.d1_mini.bin'), image);
    await waitFor(() => engine.firmware.find('lt', '2.0.0'), 'the drop to be filed');
    expect(ls(root)).toContain('lt-2.0.0.bin');
    expect(ls(root)).not.toContain('lt.ino.d1_mini.bin');
    expect(fs.readFileSync(path.join(root, 'lt-2.0.0.bin')).equals(image)).toBe(true);
    expect(notices.map(n => n.text)).toContain('Filed lt.ino.d1_mini.bin as lt-2.0.0.bin (esp8266, 64.0 KiB)');
    expect(engine.firmware.outcomes().at(-1)?.text).toMatch(/Filed lt\.ino\.d1_mini\.bin/);
  });

  it('files gzip drops (.bin.gz) as name-version.bin with the gzip flag', async () => {
    const engine = await start();
    fs.writeFileSync(path.join(root, 'relay.ino.bin.gz'), buildFirmwareImage({name: 'relay', version: '3.0.0', gzip: true}));
    const record = await waitFor(() => engine.firmware.find('relay', '3.0.0'), 'the gzip drop to be filed');
    expect(record).toMatchObject({file: 'relay-3.0.0.bin', gzip: true, chip: 'esp8266'});
  });

  it('never takes a file that is still being written in slow chunks', async () => {
    const engine = await start({tuning: {stableMs: 400, rejectAfterMs: 10_000}});
    const image = buildFirmwareImage({name: 'slow', version: '1.0.0', size: 120_000});
    const target = path.join(root, 'slow-copy.bin');
    const fd = fs.openSync(target, 'w');
    const chunk = 8 * 1024;
    // a chunk every 150 ms, the header first (an scp or a Samba copy looks like this)
    for (let offset = 0; offset < image.length; offset += chunk) {
      fs.writeSync(fd, image, offset, Math.min(chunk, image.length - offset));
      await sleep(150);
      expect(engine.firmware.find('slow', '1.0.0')).toBeUndefined();
      expect(rejected()).toEqual([]);
    }
    fs.closeSync(fd);
    const record = await waitFor(() => engine.firmware.find('slow', '1.0.0'), 'the finished copy to be filed', 5000);
    expect(record.md5).toBe(md5(image));
    expect(rejected()).toEqual([]);
  });

  it('waits out a copy that stalls longer than the settle time instead of rejecting the first half', async () => {
    const engine = await start({tuning: {stableMs: 200, rejectAfterMs: 3000}});
    const image = buildFirmwareImage({name: 'stall', version: '1.0.0', size: 60_000});
    const target = path.join(root, 'stall.bin');
    fs.writeFileSync(target, image.subarray(0, 20_000));
    await waitFor(() => engine.firmware.drops().find(d => d.state === 'incomplete'), 'the half file to be seen as incomplete');
    expect(engine.firmware.drops()[0]!.detail).toMatch(/truncated.*moved to rejected\/ in \d+ s unless it changes/);
    expect(rejected()).toEqual([]);
    fs.appendFileSync(target, image.subarray(20_000));
    await waitFor(() => engine.firmware.find('stall', '1.0.0'), 'the completed file to be filed');
    expect(rejected()).toEqual([]);
  });

  it('drops an identical duplicate, keeping the stored file, and says it removed only the copy', async () => {
    const image = buildFirmwareImage({name: 'relay', version: '1.0.0'});
    const engine = await start({files: {'relay-1.0.0.bin': image}});
    fs.writeFileSync(path.join(root, 'copy of relay.bin'), image);
    await waitFor(() => !ls(root).includes('copy of relay.bin'), 'the duplicate to go');
    expect(ls(root).filter(f => f.endsWith('.bin'))).toEqual(['relay-1.0.0.bin']);
    expect(fs.readFileSync(path.join(root, 'relay-1.0.0.bin')).equals(image)).toBe(true);
    expect(notices.at(-1)?.text).toBe('copy of relay.bin is identical to relay-1.0.0.bin, which is already stored: removed the duplicate copy copy of relay.bin');
    expect(rejected()).toEqual([]);
    expect(engine.firmware.list()).toHaveLength(1);
  });

  it('moves a conflicting build (same name and version, other content) to rejected/ and never overwrites', async () => {
    const stored = buildFirmwareImage({name: 'relay', version: '1.0.0', seed: 'first build'});
    const other = buildFirmwareImage({name: 'relay', version: '1.0.0', seed: 'second build'});
    const engine = await start({files: {'relay-1.0.0.bin': stored}});
    fs.writeFileSync(path.join(root, 'relay.ino.bin'), other);
    await waitFor(() => rejected().includes('relay.ino.bin.reason.txt'), 'the conflict to be rejected', 5000);
    expect(fs.readFileSync(path.join(root, 'relay-1.0.0.bin')).equals(stored)).toBe(true);
    expect(fs.readFileSync(path.join(root, 'rejected', 'relay.ino.bin')).equals(other)).toBe(true);
    const reason = fs.readFileSync(path.join(root, 'rejected', 'relay.ino.bin.reason.txt'), 'utf8');
    expect(reason).toMatch(/relay 1\.0\.0 is already stored as relay-1\.0\.0\.bin with different content/);
    expect(reason).toMatch(/bump the version/);
    // the notice follows the reason file's fsync: a loaded disk may take a moment
    await waitFor(() => notices.at(-1), 'the rejection notice');
    expect(notices.at(-1)).toMatchObject({level: 'warn', text: expect.stringMatching(/^Rejected relay\.ino\.bin → rejected\/relay\.ino\.bin: relay 1\.0\.0 is already stored/)});
    expect(engine.firmware.find('relay', '1.0.0')!.md5).toBe(md5(stored));
  });

  it('moves what it cannot identify to rejected/ beside a reason a person understands, and keeps both names apart', async () => {
    await start({tuning: {rejectAfterMs: 500}});
    fs.writeFileSync(path.join(root, 'sketch.bin'), buildFirmwareImage({markers: false}));
    await waitFor(() => rejected().includes('sketch.bin.reason.txt'), 'the marker-less drop to be rejected', 5000);
    expect(fs.readFileSync(path.join(root, 'rejected', 'sketch.bin.reason.txt'), 'utf8')).toMatch(/no Homie firmware markers: add Homie_setFirmware\("name", "1\.0\.0"\) to the sketch, or name the file name-version\.bin/);
    fs.writeFileSync(path.join(root, 'sketch.bin'), 'hello');
    await waitFor(() => rejected().includes('sketch.2.bin.reason.txt'), 'the second file of that name to be rejected', 5000);
    expect(fs.readFileSync(path.join(root, 'rejected', 'sketch.2.bin'), 'utf8')).toBe('hello');
    expect(fs.readFileSync(path.join(root, 'rejected', 'sketch.2.bin.reason.txt'), 'utf8')).toMatch(/not an ESP firmware image: it starts with text/);
  });

  it('rejects a broken image even when it is named like a stored one', async () => {
    const engine = await start({tuning: {rejectAfterMs: 500}});
    fs.writeFileSync(path.join(root, 'relay-9.0.0.bin'), buildFirmwareImage({name: 'relay', version: '9.0.0'}).subarray(0, 30_000));
    await waitFor(() => rejected().includes('relay-9.0.0.bin.reason.txt'), 'the truncated file to be rejected', 5000);
    expect(engine.firmware.find('relay', '9.0.0')).toBeUndefined();
  });

  it('ignores hidden and temporary names and files that are not firmware', async () => {
    const engine = await start({tuning: {rejectAfterMs: 300}});
    const image = buildFirmwareImage({name: 'relay', version: '1.0.0'});
    for (const name of ['.relay.bin.a1b2', '.x.tmp', 'relay.bin.part', 'relay.bin.tmp', 'notes.md', 'jobs.json']) fs.writeFileSync(path.join(root, name), image);
    await sleep(1200);
    await engine.firmware.rescan();
    expect(engine.firmware.list()).toEqual([]);
    expect(rejected()).toEqual([]);
    expect(ls(root)).toEqual(expect.arrayContaining(['.relay.bin.a1b2', '.x.tmp', 'relay.bin.part', 'relay.bin.tmp', 'notes.md', 'jobs.json']));
  });

  it('catches what fs.watch misses with the periodic rescan', async () => {
    const engine = await start({tuning: {fsWatch: false, rescanMs: 300}});
    fs.writeFileSync(path.join(root, 'quiet.bin'), buildFirmwareImage({name: 'quiet', version: '1.0.0'}));
    await waitFor(() => engine.firmware.find('quiet', '1.0.0'), 'the rescan to file it', 5000);
  });

  it('lists a name-version.bin copied in by hand and forgets one deleted by hand', async () => {
    const engine = await start();
    let changes = 0;
    engine.bus.on('firmware', () => changes++);
    fs.writeFileSync(path.join(root, 'relay-4.0.0.bin'), buildFirmwareImage({name: 'relay', version: '4.0.0'}));
    await waitFor(() => engine.firmware.find('relay', '4.0.0'), 'the file to be listed');
    fs.unlinkSync(path.join(root, 'relay-4.0.0.bin'));
    await waitFor(() => !engine.firmware.find('relay', '4.0.0'), 'the file to be forgotten');
    expect(changes).toBeGreaterThanOrEqual(2);
  });

  it('in read-only mode moves nothing and says what it would do', async () => {
    const engine = await start({readonly: true});
    fs.writeFileSync(path.join(root, 'lt.ino.d1_mini.bin'), buildFirmwareImage({name: 'lt', version: '2.0.0'}));
    await waitFor(() => engine.firmware.drops().find(d => d.state === 'readonly'), 'the drop to be seen');
    expect(engine.firmware.drops()[0]!.detail).toBe('would be filed as lt-2.0.0.bin; left as it is (read-only mode)');
    expect(notices.at(-1)?.text).toBe('lt.ino.d1_mini.bin would be filed as lt-2.0.0.bin; left as it is (read-only mode)');
    await engine.firmware.rescan();
    expect(notices.filter(n => n.text.includes('would be filed'))).toHaveLength(1);
    expect(ls(root)).toContain('lt.ino.d1_mini.bin');
    expect(ls(root)).not.toContain('lt-2.0.0.bin');
    expect(ls(root)).not.toContain('firmware-cache.json');
  });

  it('with OTA_WATCH off, files nothing and lists what is stored, even files written a moment before start', async () => {
    fs.mkdirSync(root, {recursive: true});
    fs.writeFileSync(path.join(root, 'fresh-2.0.0.bin'), buildFirmwareImage({name: 'fresh', version: '2.0.0'}));
    const engine = await start({watch: false, files: {'relay-1.0.0.bin': buildFirmwareImage({name: 'relay', version: '1.0.0'}), 'drop.bin': buildFirmwareImage({name: 'x', version: '1.0.0'})}});
    expect(engine.firmware.list().map(r => r.file)).toEqual(['fresh-2.0.0.bin', 'relay-1.0.0.bin']);
    expect(engine.firmware.drops()).toEqual([expect.objectContaining({file: 'drop.bin', state: 'not filed', detail: 'would be filed as x-1.0.0.bin; left as it is (OTA_WATCH is off)'})]);
    expect(ls(root)).toContain('drop.bin');
  });
});
