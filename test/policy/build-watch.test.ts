import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {WatchedFile} from '../../src/engine/firmware/build-watch.js';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {engineFixture} from '../helpers/engine-fixture.js';
import {waitFor} from '../helpers/wait-for.js';

const fixture = engineFixture();

/** A build output as PlatformIO leaves it: <project>/.pio/build/<env>/firmware.bin, written a minute ago. */
function build(root: string, project: string, version: string, filler = 0): string {
  const dir = path.join(root, project, '.pio', 'build', 'd1_mini');
  fs.mkdirSync(dir, {recursive: true});
  const file = path.join(dir, 'firmware.bin');
  const image = buildFirmwareImage({name: 'relay', version, size: 30_000});
  if (filler) image[image.length - 100] = filler;
  fs.writeFileSync(file, image);
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(file, past, past);
  return file;
}

function hostile(root: string, project: string): string {
  const dir = path.join(root, project, '.pio', 'build', 'd1_mini');
  fs.mkdirSync(dir, {recursive: true});
  return path.join(dir, 'firmware.bin');
}

describe('WATCH: build outputs are copied into the store, never moved', () => {
  it('copies a settled build as <name>-<version>.bin, leaves the build file as it was, and shows what it could not use and why', async () => {
    const builds = fixture.tempDir('builds');
    const good = build(builds, 'relay-board', '1.0.2');
    const before = {bytes: fs.readFileSync(good), mtimeMs: fs.statSync(good).mtimeMs, ino: fs.statSync(good).ino};
    execFileSync('mkfifo', [hostile(builds, 'fifo')]);
    const loop = hostile(builds, 'loop');
    fs.symlinkSync(loop, loop);
    fs.mkdirSync(hostile(builds, 'folder'));
    const huge = hostile(builds, 'huge');
    fs.writeFileSync(huge, '');
    fs.truncateSync(huge, 5 * 1024 * 1024);
    const nowhere = path.join(builds, 'nothing-here', '*.ino.bin');
    const pattern = path.join(builds, '*', '.pio', 'build', '*', 'firmware.bin');
    const engine = fixture.create({overrides: {watch: [pattern, nowhere]}});
    engine.firmware.tune({stableMs: 300, watchRescanMs: 200});
    const notices: string[] = [];
    engine.bus.on('notice', n => notices.push(n.text));
    await engine.start();

    const stored = await waitFor(() => engine.firmware.byFile('relay-1.0.2.bin'), 'relay-1.0.2.bin copied into the store', 10_000);
    expect(stored.md5).toBeTruthy();
    expect(fs.readFileSync(path.join(engine.firmware.root, 'relay-1.0.2.bin')).equals(before.bytes)).toBe(true);
    // the build file: still there, same bytes, same modification time, same inode (not moved and put back)
    expect(fs.readFileSync(good).equals(before.bytes)).toBe(true);
    expect(fs.statSync(good).mtimeMs).toBe(before.mtimeMs);
    expect(fs.statSync(good).ino).toBe(before.ino);
    await waitFor(() => notices.includes(`Copied ${good} into the store as relay-1.0.2.bin (esp8266, 29.3 KiB)`) || undefined, 'the copy said in the log');

    const byPath = (file: string) => engine.firmware.builds!.status().files.find(f => f.path === file);
    const status = await waitFor(() => {
      const all = [hostile(builds, 'fifo'), loop, hostile(builds, 'folder'), huge].map(byPath);
      return all.every(Boolean) ? all as WatchedFile[] : undefined;
    }, 'every hostile match listed');
    expect(status.map(s => s.state)).toEqual(['not used', 'not used', 'not used', 'not used']);
    expect(status[0]!.detail).toMatch(/^a FIFO \(named pipe\): not used/);
    expect(status[1]!.detail).toMatch(/^a symbolic link: not used/);
    expect(status[2]!.detail).toMatch(/^a folder: not used/);
    expect(status[3]!.detail).toMatch(/more than the upload limit of 4.0 MiB/);
    expect(byPath(good)).toMatchObject({state: 'copied', file: 'relay-1.0.2.bin'});

    // patterns that match nothing are said in /healthz
    const health = await (await fetch(`http://127.0.0.1:${engine.http.boundPort}/healthz`)).json() as {watch: {unmatched: string[]}};
    expect(health.watch.unmatched).toEqual([nowhere]);

    // a rebuild of the same version with other content is refused with the reason, said once however many rescans pass
    build(builds, 'relay-board', '1.0.2', 0x5a);
    await waitFor(() => byPath(good)?.state === 'refused' ? true : undefined, 'the rebuild refused');
    expect(byPath(good)!.detail).toMatch(/relay 1.0.2 is already stored as relay-1.0.2.bin with different content .*bump the version/);
    await new Promise(resolve => setTimeout(resolve, 1000));
    expect(notices.filter(n => n.includes('not copied'))).toHaveLength(1);
    // the same content again (a rebuild that changes nothing): quiet
    const lines = notices.length;
    build(builds, 'relay-board', '1.0.2');
    await waitFor(() => byPath(good)?.state === 'identical' ? true : undefined, 'the identical rebuild seen');
    await new Promise(resolve => setTimeout(resolve, 600));
    expect(notices.length).toBe(lines);

    // the stored copy deleted: the unchanged build is copied again
    expect(await engine.firmware.delete('relay', '1.0.2')).toMatchObject({ok: true});
    await waitFor(() => engine.firmware.byFile('relay-1.0.2.bin'), 'the build copied again after the delete', 10_000);
    expect(fs.readFileSync(good).equals(before.bytes)).toBe(true);

    // a new project folder is found without a restart
    const second = build(builds, 'relay-two', '1.0.3');
    await waitFor(() => engine.firmware.byFile('relay-1.0.3.bin'), 'the new project copied', 10_000);
    expect(fs.existsSync(second)).toBe(true);
  }, 30_000);
});
