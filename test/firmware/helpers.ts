import fs from 'node:fs';
import path from 'node:path';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import type {StoreTuning} from '../../src/engine/firmware/store.js';
import {afterEach, beforeEach} from 'vitest';
import {testConfig} from '../helpers/config.js';
import {tempDir} from '../helpers/tmp.js';

export interface StoreSetup {
  readonly ini?: Record<string, string>;
  readonly readonly?: boolean;
  readonly watch?: boolean;
  readonly tuning?: Partial<StoreTuning>;
  /** files to put into the firmware folder before start: name → content */
  readonly files?: Record<string, Buffer | string>;
}

/** The firmware folder of a test engine. */
export function firmwareDir(dir: string): string {
  return path.join(dir, 'firmwares');
}

/** An engine over `dir`/firmwares with short folder timings, started (embedded broker, HTTP on a free port). */
export async function startEngine(dir: string, setup: StoreSetup = {}): Promise<Engine> {
  const overrides: Parameters<typeof testConfig>[1] = {brokerPort: '0', ...(setup.readonly ? {readonly: true} : {}), ...(setup.watch === false ? {watch: false} : {})};
  if (setup.ini) {
    fs.writeFileSync(path.join(dir, 'test.ini'), `[global]\n${Object.entries(setup.ini).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);
    Object.assign(overrides, {config: path.join(dir, 'test.ini')});
  }
  const root = firmwareDir(dir);
  fs.mkdirSync(root, {recursive: true});
  // files that were there before start are old: the store need not wait for them to settle
  for (const [name, content] of Object.entries(setup.files ?? {})) {
    fs.writeFileSync(path.join(root, name), content);
    age(path.join(root, name));
  }
  const engine = createEngine(testConfig(dir, overrides));
  engine.firmware.tune({stableMs: 300, rejectAfterMs: 1500, rescanMs: 60_000, ...setup.tuning});
  await engine.start();
  return engine;
}

/** Names in a folder (sorted), or [] when it does not exist. */
export function ls(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** Age a file so the store treats it as settled at once. */
export function age(file: string, seconds = 600): void {
  const t = Date.now() / 1000 - seconds;
  fs.utimesSync(file, t, t);
}

/**
 * A fresh temporary folder with an empty firmware folder for each test, and the engine the test sets
 * (`world.engine = …`) stopped after it. Read `world.dir` and `world.root` inside the tests.
 */
export function firmwareWorld(): {dir: string; root: string; engine: Engine | null} {
  const world = {dir: '', root: '', engine: null as Engine | null};
  let cleanup = () => {};
  beforeEach(() => {
    ({dir: world.dir, cleanup} = tempDir());
    world.root = firmwareDir(world.dir);
    fs.mkdirSync(world.root, {recursive: true});
  });
  afterEach(async () => {
    await world.engine?.stop();
    world.engine = null;
    cleanup();
  });
  return world;
}
