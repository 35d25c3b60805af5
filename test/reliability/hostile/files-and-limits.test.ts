import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {Engine} from '../../../src/engine/engine.js';
import {buildFirmwareImage} from '../../../src/sim/build-image.js';
import {deviceTopics, RawPublisher} from '../../helpers/homie-publisher.js';
import {waitFor} from '../../helpers/wait-for.js';
import {age, firmwareWorld, ls, startEngine} from '../../firmware/helpers.js';

/**
 * Files and limits: one upload limit, said and applied the same everywhere; a start-up count that is
 * true; links and other non-files in the folder listed as not used, with why; every file homie-ota
 * writes readable by owner and group only.
 */
const world = firmwareWorld();

const logged = (e: Engine, pattern: RegExp) => e.logger.recent().map(entry => entry.message).filter(m => pattern.test(m));

describe('the firmware folder at start', () => {
  it('counts the firmware really loaded, also when the files were copied in a moment before the start', async () => {
    fs.writeFileSync(path.join(world.root, 'relay-1.0.0.bin'), buildFirmwareImage({name: 'relay', version: '1.0.0'}));
    fs.writeFileSync(path.join(world.root, 'sketch.ino.bin'), buildFirmwareImage({name: 'light', version: '2.0.0'}));
    world.engine = await startEngine(world.dir, {tuning: {stableMs: 1500}});
    expect(world.engine!.firmware.list().map(r => r.file)).toEqual(['light-2.0.0.bin', 'relay-1.0.0.bin']);
    expect(logged(world.engine, /firmware file\(s\) in/)).toEqual([`2 firmware file(s) in ${world.root}; upload limit 4.0 MiB (OTA_UPLOAD_LIMIT); watching it for dropped binaries`]);
  });

  it('applies one upload limit everywhere: the start-up line, a named file in the folder, a drop and /upload', async () => {
    const big = buildFirmwareImage({name: 'big', version: '1.0.0', size: 100 * 1024});
    fs.writeFileSync(path.join(world.root, 'big-1.0.0.bin'), big);
    age(path.join(world.root, 'big-1.0.0.bin'));
    world.engine = await startEngine(world.dir, {ini: {OTA_UPLOAD_LIMIT: '64K'}});
    const e = world.engine;
    expect(logged(e, /firmware file\(s\) in/)).toEqual([`0 firmware file(s) in ${world.root}; upload limit 64.0 KiB (OTA_UPLOAD_LIMIT); watching it for dropped binaries`]);
    const reason = 'the file is 100.0 KiB, more than the upload limit of 64.0 KiB (OTA_UPLOAD_LIMIT, at most 16M, the largest ESP flash); raise OTA_UPLOAD_LIMIT if this firmware is right';
    await waitFor(() => ls(path.join(world.root, 'rejected')).includes('big-1.0.0.bin.reason.txt'), 'the named file over the limit rejected');
    expect(fs.readFileSync(path.join(world.root, 'rejected', 'big-1.0.0.bin.reason.txt'), 'utf8')).toContain(reason);
    expect(fs.readFileSync(path.join(world.root, 'rejected', 'big-1.0.0.bin')).equals(big)).toBe(true);

    fs.writeFileSync(path.join(world.root, 'dropped.bin'), big);
    age(path.join(world.root, 'dropped.bin'));
    await e.firmware.rescan();
    await waitFor(() => ls(path.join(world.root, 'rejected')).includes('dropped.bin.reason.txt'), 'the drop over the limit rejected');
    expect(fs.readFileSync(path.join(world.root, 'rejected', 'dropped.bin.reason.txt'), 'utf8')).toContain(reason);

    const body = new FormData();
    body.append('upload', new Blob([big]), 'big.bin');
    const res = await fetch(`http://127.0.0.1:${e.http.boundPort}/upload`, {method: 'POST', body});
    expect(res.status).toBe(413);
    expect(await res.text()).toMatch(/64\.0 KiB \(OTA_UPLOAD_LIMIT/);
    const api = (await (await fetch(`http://127.0.0.1:${e.http.boundPort}/api/firmware`)).json()) as {uploadLimit: number};
    expect(api.uploadLimit).toBe(64 * 1024);
    expect(e.firmware.list()).toEqual([]);
  });

  it('lists links, FIFOs and folders with a firmware name as not used, says why, and never serves them', async () => {
    const outside = path.join(world.dir, 'outside-1.0.0.bin');
    fs.writeFileSync(outside, buildFirmwareImage({name: 'outside', version: '1.0.0'}));
    fs.symlinkSync(outside, path.join(world.root, 'outside-1.0.0.bin'));
    execFileSync('mkfifo', [path.join(world.root, 'pipe.bin')]);
    fs.mkdirSync(path.join(world.root, 'folder.bin'));
    world.engine = await startEngine(world.dir);
    const drops = Object.fromEntries(world.engine!.firmware.drops().map(d => [d.file, `${d.state}: ${d.detail}`]));
    expect(drops).toEqual({
      'outside-1.0.0.bin': expect.stringMatching(/^not filed: a symbolic link: not used; homie-ota files and serves only regular files in its folder/),
      'pipe.bin': expect.stringMatching(/^not filed: a FIFO \(named pipe\): not used/),
      'folder.bin': expect.stringMatching(/^not filed: a folder: not used/),
    });
    expect(logged(world.engine, /is a symbolic link: not used/)).toEqual(['outside-1.0.0.bin is a symbolic link: not used (homie-ota files and serves only regular files in its folder); copy the firmware itself into the folder']);
    expect(world.engine!.firmware.list()).toEqual([]);
    // a second scan says nothing new
    await world.engine!.firmware.rescan();
    expect(logged(world.engine, /: not used/)).toHaveLength(3);
    expect(fs.lstatSync(path.join(world.root, 'outside-1.0.0.bin')).isSymbolicLink()).toBe(true);
  });
});

describe('file modes', () => {
  it('writes every file of its own readable by owner and group only: state, uploads, descriptions, rejections', async () => {
    fs.writeFileSync(path.join(world.root, 'junk.bin'), Buffer.alloc(5000, 1));
    age(path.join(world.root, 'junk.bin'));
    world.engine = await startEngine(world.dir, {tuning: {rejectAfterMs: 0}});
    const e = world.engine;
    const publisher = await RawPublisher.connect(e.broker!.boundPort);
    for (const [topic, payload] of deviceTopics('v3', 'homie', 'kitchen')) await publisher.publish(topic, payload);
    await publisher.close();
    await waitFor(() => e.inventory.get('homie/kitchen'), 'a device');
    const body = new FormData();
    body.append('upload', new Blob([buildFirmwareImage({name: 'lt', version: '2.0.0'})]), 'lt.bin');
    body.append('description', 'kitchen lights');
    expect((await fetch(`http://127.0.0.1:${e.http.boundPort}/upload`, {method: 'POST', body})).status).toBe(200);
    await waitFor(() => ls(path.join(world.root, 'rejected')).includes('junk.bin.reason.txt'), 'junk rejected');
    await e.stop();
    world.engine = null;
    const written = ['inventory.json', 'jobs.json', 'firmware-cache.json', 'lt-2.0.0.bin', 'lt-2.0.0.txt', 'rejected/junk.bin.reason.txt'];
    for (const file of written) expect((fs.statSync(path.join(world.root, file)).mode & 0o777).toString(8), file).toBe('640');
  });
});
