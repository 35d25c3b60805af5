import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {FirmwareStore, type FirmwareStoreDeps} from '../../src/engine/firmware/store.js';
import {Logger} from '../../src/engine/log.js';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {tempDir} from '../helpers/tmp.js';
import {age} from './helpers.js';

/**
 * The store built from the few pieces it is given, without an engine, a broker or an HTTP server:
 * what it reports goes to the notice sink and the change callback it was handed.
 */
describe('the firmware store on its own', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function storeOver(root: string, settings: Partial<FirmwareStoreDeps['settings']> = {}) {
    const notices: string[] = [];
    let changes = 0;
    const store = new FirmwareStore({
      settings: {firmwareRoot: root, readonly: false, watch: false, uploadLimit: 4 * 1024 * 1024, ...settings},
      log: new Logger({debug: false}).child('firmware'),
      now: Date.now,
      notice: (level, text) => notices.push(`${level}: ${text}`),
      changed: () => changes++,
    });
    cleanups.push(() => store.stop());
    return {store, notices, changes: () => changes};
  }

  it('touches nothing until start, then lists the folder, reports deletes and refuses them read-only', async () => {
    const {dir, cleanup} = tempDir();
    cleanups.push(cleanup);
    const file = path.join(dir, 'relay-1.0.0.bin');
    fs.writeFileSync(file, buildFirmwareImage({name: 'relay', version: '1.0.0', seed: 'alone'}));
    age(file);

    const {store, notices, changes} = storeOver(dir);
    expect(store.list()).toEqual([]);
    expect(changes()).toBe(0);
    expect(fs.readdirSync(dir)).toEqual(['relay-1.0.0.bin']);

    await store.start();
    expect(store.list().map(r => `${r.name} ${r.version}`)).toEqual(['relay 1.0.0']);
    expect(changes()).toBe(1);

    const deleted = await store.delete('relay', '1.0.0');
    expect(deleted).toEqual({ok: true, message: 'Deleted firmware relay-1.0.0.bin'});
    expect(notices).toContain('info: Deleted firmware relay-1.0.0.bin');
    expect(changes()).toBe(2);
    expect(fs.existsSync(file)).toBe(false);

    fs.writeFileSync(file, buildFirmwareImage({name: 'relay', version: '1.0.0', seed: 'alone'}));
    age(file);
    const viewer = storeOver(dir, {readonly: true});
    await viewer.store.start();
    expect(await viewer.store.delete('relay', '1.0.0')).toMatchObject({ok: false, status: 403});
    expect(fs.existsSync(file)).toBe(true);
  });
});
