import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import type {Engine} from '../../src/engine/engine.js';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {keys, renderDashboard, type RenderedDashboard} from '../helpers/render-ui.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';
import {firmwareDir, ls, startEngine} from '../firmware/helpers.js';

let dir: string;
let cleanup: () => void;
let engine: Engine | null = null;
let ui: RenderedDashboard | null = null;
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(async () => {
  ui?.unmount();
  ui = null;
  await engine?.stop();
  engine = null;
  cleanup();
});

const files = () => ({
  'relay-1.0.0.bin': buildFirmwareImage({name: 'relay', version: '1.0.0'}),
  'relay-1.0.0.txt': 'kitchen relays',
  'relay-1.1.0.bin': buildFirmwareImage({name: 'relay', version: '1.1.0'}),
  'sensor-2.0.0.bin': buildFirmwareImage({name: 'sensor', version: '2.0.0', chip: 'esp32s3', size: 200_000}),
  'tiny-0.1.bin': buildFirmwareImage({name: 'tiny', version: '0.1', gzip: true}),
});

async function open(setup: Parameters<typeof startEngine>[1] = {}, size = {columns: 100, rows: 30}): Promise<RenderedDashboard> {
  engine = await startEngine(dir, {files: files(), ...setup});
  ui = await renderDashboard(engine, {initialView: 'firmware', ...size});
  await ui.waitForText('firmware files');
  return ui;
}

const lines = (frame: string) => frame.split('\n');

describe('the Firmware view', () => {
  it('lists the store grouped by name, newest first, with size, chip, gzip flag, MD5, devices and description', async () => {
    const view = await open();
    const frame = await view.waitForText('relay');
    expect(frame).toMatch(/4 firmware files, 3 names · drop \.bin files into .*firmwares/);
    expect(frame).toMatch(/NAME +VERSION +SIZE +CHIP +GZ +MD5 +ADDED +DEVS +DESCRIPTION/);
    const rows = lines(frame).filter(l => /\d+\.\d+ +\d/.test(l));
    expect(rows[0]).toMatch(/^relay +1\.1\.0 +64\.0 KiB esp8266 +[0-9a-f]{8} +\S+ +0/);
    expect(rows[1]).toMatch(/^ +1\.0\.0 +64\.0 KiB esp8266 .* 0 kitchen relays/);
    expect(rows[2]).toMatch(/^sensor +2\.0\.0 +195\.3 KiB esp32s3/);
    expect(rows[3]).toMatch(/^tiny +0\.1 .* gz /);
  });

  it('never draws more lines than it is given, at 80x24 and 100x30', async () => {
    for (const size of [{columns: 80, rows: 24}, {columns: 100, rows: 30}, {columns: 60, rows: 12}]) {
      const view = await open({}, size);
      const frame = view.frame();
      expect(lines(frame).length, `${size.columns}x${size.rows}`).toBeLessThanOrEqual(size.rows - 1);
      expect(Math.max(...lines(frame).map(l => l.length)), `${size.columns}x${size.rows}`).toBeLessThanOrEqual(size.columns);
      view.unmount();
      ui = null;
      await engine!.stop();
      engine = null;
      cleanup();
      ({dir, cleanup} = tempDir());
    }
  });

  it('shows details on Enter and goes back with Esc', async () => {
    const view = await open();
    await view.press(keys.down);
    await view.press(keys.enter);
    const detail = await view.waitForText('SHA-256');
    expect(detail).toMatch(/Firmware +relay 1\.0\.0/);
    expect(detail).toMatch(/File +.*relay-1\.0\.0\.bin/);
    expect(detail).toMatch(/Chip +esp8266, flash 4 MB DIO/);
    expect(detail).toMatch(/Description +kitchen relays/);
    expect(detail).toMatch(/Devices +none runs it/);
    await view.press(keys.escape);
    await view.waitForText('DESCRIPTION');
  });

  it('edits the description with e: typed keys are text, not commands', async () => {
    const view = await open();
    await view.press(keys.down, keys.down);
    await view.press('e');
    await view.waitForText('Description of sensor 2.0.0');
    await view.press('D', 'q', '2', ' ', 'j');
    await view.press(keys.enter);
    await waitFor(() => fs.existsSync(path.join(firmwareDir(dir), 'sensor-2.0.0.txt')), 'the description file');
    expect(fs.readFileSync(path.join(firmwareDir(dir), 'sensor-2.0.0.txt'), 'utf8')).toBe('Dq2 j\n');
    await view.waitForText(/sensor +2\.0\.0 .*Dq2 j/);
    expect(ls(firmwareDir(dir))).toContain('sensor-2.0.0.bin');
  });

  it('Esc cancels the description editor without saving', async () => {
    const view = await open();
    await view.press('e');
    await view.waitForText('Description of relay 1.1.0');
    await view.press('x', 'y', keys.escape);
    await view.waitForText('DESCRIPTION');
    expect(ls(firmwareDir(dir))).not.toContain('relay-1.1.0.txt');
  });

  it('deletes with D after confirmation, and n keeps the file', async () => {
    const view = await open();
    await view.press(keys.down, 'D');
    await view.waitForText('Delete relay-1.0.0.bin?');
    await view.press('n');
    await view.waitForText('DESCRIPTION');
    expect(ls(firmwareDir(dir))).toContain('relay-1.0.0.bin');
    await view.press('D');
    await view.waitForText('Delete relay-1.0.0.bin?');
    await view.press('y');
    await waitFor(() => !ls(firmwareDir(dir)).includes('relay-1.0.0.bin'), 'the file to be deleted');
    await view.waitForText('Deleted firmware relay-1.0.0.bin');
    expect(view.frame()).toMatch(/3 firmware files/);
  });

  it('in read-only mode hides e and D and refuses them', async () => {
    const view = await open({readonly: true});
    expect(view.frame()).not.toMatch(/D delete/);
    await view.press('D');
    await view.waitForText('read-only mode');
    expect(view.frame()).not.toContain('Delete relay');
    expect(ls(firmwareDir(dir))).toContain('relay-1.1.0.bin');
  });

  it('shows the outcome of a drop and of a rejection in the view', async () => {
    const view = await open({tuning: {rejectAfterMs: 1500}});
    const root = firmwareDir(dir);
    fs.writeFileSync(path.join(root, 'new.ino.bin'), buildFirmwareImage({name: 'fresh', version: '1.0.0'}));
    await view.waitForText(/✓ Filed new\.ino\.bin as fresh-1\.0\.0\.bin/);
    await view.waitForText(/^fresh +1\.0\.0/m);
    fs.writeFileSync(path.join(root, 'junk.bin'), 'not a firmware');
    await view.waitForText(/junk\.bin.*not usable yet: not an ESP firmware image/);
    await view.waitForText(/⚠ Rejected junk\.bin → rejected\/junk\.bin: not an ESP firmware image/, 5000);
  });

  it('tells a user with an empty store how to add firmware', async () => {
    engine = await startEngine(dir);
    ui = await renderDashboard(engine, {initialView: 'firmware', columns: 120});
    const frame = await ui.waitForText('No firmware yet');
    expect(frame).toMatch(/copy the compiled \.bin into .*firmwares \(any file name/);
    expect(frame).toMatch(/or upload it: +curl -F upload=@firmware\.bin -F description="what changed" http:\/\/127\.0\.0\.1:\d+\/upload/);
  });
});
