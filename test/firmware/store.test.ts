import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import type {Engine} from '../../src/engine/engine.js';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';
import {age, firmwareDir, ls, startEngine} from './helpers.js';

let dir: string;
let cleanup: () => void;
const engines: Engine[] = [];
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(async () => {
  await Promise.all(engines.splice(0).map(e => e.stop()));
  cleanup();
});

async function start(setup: Parameters<typeof startEngine>[1] = {}): Promise<Engine> {
  const engine = await startEngine(dir, setup);
  engines.push(engine);
  return engine;
}

const md5 = (data: Buffer) => crypto.createHash('md5').update(data).digest('hex');

/** A firmware folder as the original left it. */
function originalFolder() {
  const relay = buildFirmwareImage({name: 'relay', version: '1.0.0'});
  return {
    relay,
    files: {
      'relay-1.0.0.bin': relay,
      'relay-1.0.0.txt': 'kitchen relays\n',
      'relay-1.0.1.bin': buildFirmwareImage({name: 'relay', version: '1.0.1'}),
      'sensor-1.2.3.4.bin': buildFirmwareImage({name: 'sensor', version: '1.2.3.4', chip: 'esp32'}),
      'plain-2.0.0.bin': buildFirmwareImage({markers: false, seed: 'plain'}),
      'inventory.json': '{"abc": {"fwname": "relay"}}',
      'sensors.json': '{}',
    },
  };
}

describe('loading a firmware folder laid out like the original', () => {
  it('lists every name-version.bin with its description, newest version first, and leaves other files alone', async () => {
    const {relay, files} = originalFolder();
    const engine = await start({files});
    const list = engine.firmware.list();
    expect(list.map(r => `${r.name}@${r.version}`)).toEqual(['plain@2.0.0', 'relay@1.0.1', 'relay@1.0.0', 'sensor@1.2.3.4']);
    expect(engine.firmware.find('relay', '1.0.0')).toMatchObject({file: 'relay-1.0.0.bin', description: 'kitchen relays', chip: 'esp8266', gzip: false, md5: md5(relay), size: relay.length, markers: true});
    expect(engine.firmware.find('sensor', '1.2.3.4')).toMatchObject({chip: 'esp32'});
    expect(engine.firmware.find('plain', '2.0.0')).toMatchObject({markers: false, notes: expect.arrayContaining([expect.stringMatching(/taken from the file name/)])});
    const root = firmwareDir(dir);
    expect(ls(root)).toEqual(expect.arrayContaining(['inventory.json', 'sensors.json', 'relay-1.0.0.txt']));
    expect(fs.readFileSync(path.join(root, 'inventory.json'), 'utf8')).toBe(files['inventory.json']);
    expect(ls(path.join(root, 'rejected'))).toEqual([]);
  });

  it('lists non-numeric versions the original lost', async () => {
    const engine = await start({files: {
      'relay-1.0.0-beta.bin': buildFirmwareImage({name: 'relay', version: '1.0.0-beta'}),
      'relay-v1.2.bin': buildFirmwareImage({name: 'relay', version: 'v1.2'}),
      'relay-1.0.bin': buildFirmwareImage({name: 'relay', version: '1.0'}),
    }});
    expect(engine.firmware.list().map(r => r.version)).toEqual(['v1.2', '1.0', '1.0.0-beta']);
    expect(engine.firmware.newest('relay')?.version).toBe('v1.2');
  });

  it('answers find, newest, byMd5, pathOf, open and read', async () => {
    const {relay, files} = originalFolder();
    const engine = await start({files});
    const store = engine.firmware;
    expect(store.newest('relay')?.version).toBe('1.0.1');
    expect(store.newest('nothing')).toBeUndefined();
    expect(store.byMd5(md5(relay).toUpperCase())?.file).toBe('relay-1.0.0.bin');
    const record = store.find('relay', '1.0.0')!;
    expect(store.pathOf(record)).toBe(path.join(firmwareDir(dir), 'relay-1.0.0.bin'));
    const chunks: Buffer[] = [];
    for await (const chunk of store.open(record)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(relay)).toBe(true);
    expect((await store.read(record))?.equals(relay)).toBe(true);
  });

  it('refuses to hand out a file that changed on disk behind its back', async () => {
    const {files} = originalFolder();
    const engine = await start({files});
    const record = engine.firmware.find('relay', '1.0.0')!;
    const file = engine.firmware.pathOf(record);
    const data = fs.readFileSync(file);
    data[9000]! ^= 0xff;
    fs.writeFileSync(file, data);
    age(file, 100);
    expect(await engine.firmware.readChecked(record)).toEqual({ok: false, reason: expect.stringMatching(/relay-1\.0\.0\.bin changed on disk since it was identified/)});
    const notices: string[] = [];
    engine.bus.on('notice', n => notices.push(n.text));
    expect(await engine.firmware.read(record)).toBeNull();
    expect(notices.at(-1)).toMatch(/changed on disk/);
    // the rescan it started picks up the new content
    await waitFor(() => engine.firmware.find('relay', '1.0.0')?.md5 === md5(data), 'the file to be identified again', 5000);
  });

  it('finds gzip images by the MD5 of the inflated image too', async () => {
    const gz = buildFirmwareImage({name: 'tiny', version: '1.0.0', gzip: true});
    const engine = await start({files: {'tiny-1.0.0.bin': gz}});
    const record = engine.firmware.find('tiny', '1.0.0')!;
    expect(record.gzip).toBe(true);
    expect(engine.firmware.byMd5(record.imageMd5!)).toBe(record);
  });
});

describe('the metadata cache', () => {
  it('does not read unchanged files again at the next start', async () => {
    const {files} = originalFolder();
    let engine = await start({files});
    const before = engine.firmware.find('relay', '1.0.0')!.md5;
    await engine.stop();
    engines.length = 0;
    const root = firmwareDir(dir);
    expect(ls(root)).toContain('firmware-cache.json');
    // change the content but keep size and mtime: only a re-read would notice
    const file = path.join(root, 'relay-1.0.0.bin');
    const stat = fs.statSync(file);
    const data = fs.readFileSync(file);
    data[8000]! ^= 0xff;
    fs.writeFileSync(file, data);
    fs.utimesSync(file, stat.atime, stat.mtime);
    engine = await start();
    expect(engine.firmware.find('relay', '1.0.0')!.md5).toBe(before);
    // a changed mtime makes it read the file again
    age(file, 1000);
    await engine.firmware.rescan();
    expect(engine.firmware.find('relay', '1.0.0')!.md5).toBe(md5(data));
  });

  it('survives a corrupt cache file', async () => {
    const {files} = originalFolder();
    const engine = await start({files: {...files, 'firmware-cache.json': '{not json'}});
    expect(engine.firmware.list()).toHaveLength(4);
  });
});

describe('deleting and describing', () => {
  it('deletes the .bin and its .txt, emits a change and a notice', async () => {
    const {files} = originalFolder();
    const engine = await start({files});
    let changes = 0;
    engine.bus.on('firmware', () => changes++);
    const notices: string[] = [];
    engine.bus.on('notice', n => notices.push(n.text));
    const result = await engine.firmware.delete('relay', '1.0.0');
    expect(result).toEqual({ok: true, message: 'Deleted firmware relay-1.0.0.bin'});
    const root = firmwareDir(dir);
    expect(ls(root)).not.toContain('relay-1.0.0.bin');
    expect(ls(root)).not.toContain('relay-1.0.0.txt');
    expect(engine.firmware.find('relay', '1.0.0')).toBeUndefined();
    expect(changes).toBeGreaterThan(0);
    expect(notices).toContain('Deleted firmware relay-1.0.0.bin');
    expect(await engine.firmware.delete('relay', '1.0.0')).toMatchObject({ok: false, status: 404});
  });

  it('refuses to delete what the in-use check names, with its reason', async () => {
    const {files} = originalFolder();
    const engine = await start({files});
    engine.firmware.setInUseCheck(record => (record.version === '1.0.0' ? 'job 7 (kitchen) is queued to install it' : null));
    expect(await engine.firmware.delete('relay', '1.0.0')).toEqual({ok: false, status: 409, message: 'relay-1.0.0.bin was not deleted: job 7 (kitchen) is queued to install it'});
    expect(ls(firmwareDir(dir))).toContain('relay-1.0.0.bin');
    expect((await engine.firmware.delete('relay', '1.0.1')).ok).toBe(true);
  });

  it('writes, changes and removes the description file', async () => {
    const {files} = originalFolder();
    const engine = await start({files});
    const txt = path.join(firmwareDir(dir), 'relay-1.0.1.txt');
    expect((await engine.firmware.setDescription('relay', '1.0.1', '  fixes the click  ')).ok).toBe(true);
    expect(fs.readFileSync(txt, 'utf8')).toBe('fixes the click\n');
    expect(engine.firmware.find('relay', '1.0.1')!.description).toBe('fixes the click');
    await engine.firmware.setDescription('relay', '1.0.1', '');
    expect(fs.existsSync(txt)).toBe(false);
    expect(engine.firmware.find('relay', '1.0.1')!.description).toBe('');
  });

  it('changes nothing in read-only mode', async () => {
    const {files} = originalFolder();
    const engine = await start({files, readonly: true});
    expect(await engine.firmware.delete('relay', '1.0.0')).toMatchObject({ok: false, status: 403});
    expect(await engine.firmware.setDescription('relay', '1.0.0', 'x')).toMatchObject({ok: false, status: 403});
    expect(ls(firmwareDir(dir))).toContain('relay-1.0.0.bin');
    expect(fs.readFileSync(path.join(firmwareDir(dir), 'relay-1.0.0.txt'), 'utf8')).toBe('kitchen relays\n');
  });
});
