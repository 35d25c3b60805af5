import fs from 'node:fs';
import path from 'node:path';
import type {Engine} from '../../src/engine/engine.js';
import {buildFirmwareImage, type BuildImageOptions} from '../../src/sim/build-image.js';
import type {Job} from '../../src/engine/ota/job.js';
import type {OtaTimings} from '../../src/engine/ota/types.js';
import type {DeviceSpec, Fleet, FleetOptions} from '../../src/sim/index.js';
import {engineParts, type EngineFixture} from '../helpers/engine-fixture.js';
import {waitFor} from '../helpers/wait-for.js';
import type {CliOverrides} from '../../src/config/load.js';

export const FAST: OtaTimings = {pushAnswer: 4000, progressStall: 2500, reboot: 6000, v1Request: 6000, verifyGrace: 1500, esp32Recheck: 1500};

export interface OtaWorld {
  readonly dir: string;
  readonly engine: Engine;
  readonly fleet: Fleet;
  /** every state each job went through, in order, as seen on the bus */
  readonly seen: Map<string, string[]>;
  /** highest number of jobs in sending/flashing at the same time */
  maxConcurrent: number;
  close(): Promise<void>;
}

export function writeFirmware(dir: string, file: string, options: BuildImageOptions): void {
  fs.mkdirSync(path.join(dir, 'firmwares'), {recursive: true});
  const target = path.join(dir, 'firmwares', file);
  fs.writeFileSync(target, buildFirmwareImage(options));
  // an existing file, not a copy still in progress
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(target, past, past);
}

/**
 * An engine on its embedded broker with firmware in its store, and a simulated fleet on it, all ready.
 * close() stops them and removes the folder it made (not one given as `dir`).
 */
export async function otaWorld(options: {
  specs: readonly DeviceSpec[];
  firmware?: Array<[string, BuildImageOptions]>;
  config?: CliOverrides;
  timings?: Partial<OtaTimings>;
  fleet?: Partial<FleetOptions>;
  dir?: string;
}): Promise<OtaWorld> {
  const parts = engineParts();
  try {
    return await readyWorld(parts, options);
  } catch (error) {
    // a set-up that fails half-way leaves nothing running
    await parts.teardown();
    throw error;
  }
}

async function readyWorld(parts: EngineFixture, options: Parameters<typeof otaWorld>[0]): Promise<OtaWorld> {
  const dir = options.dir ?? parts.dir;
  for (const [file, image] of options.firmware ?? [['relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 100_000}]]) writeFirmware(dir, file, image);
  const engine = parts.create({dir, overrides: options.config});
  engine.ota.timings = {...FAST, ...options.timings};
  const seen = new Map<string, string[]>();
  const world = {dir, engine, seen, maxConcurrent: 0} as OtaWorld & {maxConcurrent: number};
  engine.bus.on('jobs', () => {
    let transfer = 0;
    for (const job of engine.ota.list()) {
      const states = seen.get(job.id) ?? [];
      if (states.at(-1) !== job.state) states.push(job.state);
      seen.set(job.id, states);
      if (job.state === 'sending' || job.state === 'flashing') transfer++;
    }
    world.maxConcurrent = Math.max(world.maxConcurrent, transfer);
  });
  await engine.start();
  for (const [file] of options.firmware ?? [['relay-1.1.0.bin']]) {
    await waitFor(() => engine.firmware.byFile(file), `${file} in the store`, 10_000);
  }
  const fleet = parts.fleet({
    url: `mqtt://127.0.0.1:${engine.broker!.boundPort}`,
    specs: options.specs,
    flashSpeed: 4_000_000,
    rebootDelay: 300,
    otaHttpUrl: `http://127.0.0.1:${engine.http.boundPort}${engine.config.http.endpoint}`,
    ...options.fleet,
  });
  await fleet.waitAllAdvertised(10_000);
  await waitFor(() => engine.inventory.discoveryStatus.completedAt, 'inventory loaded', 10_000);
  for (const device of fleet.devices) {
    // homie-esp8266 2.x/3.x devices also announce OTA support: a job is refused until that is in
    const announcesOta = device.generation === 'v2' || device.generation === 'v2.3' || device.generation === 'v3';
    await waitFor(() => {
      const record = engine.inventory.get(device.key);
      return record?.state === 'ready' && record.fw.version && (!announcesOta || record.otaEnabled !== undefined);
    }, `${device.key} ready in the inventory`, 10_000);
  }
  return Object.assign(world, {
    fleet,
    close: () => parts.teardown(),
  });
}

export async function finished(engine: Engine, jobId: string, timeoutMs = 20_000): Promise<Job> {
  return waitFor(() => {
    const job = engine.ota.get(jobId);
    return job && ['done', 'failed', 'cancelled', 'skipped'].includes(job.state) ? job : undefined;
  }, `job ${jobId} to finish (now ${engine.ota.get(jobId)?.state}: ${engine.ota.get(jobId)?.timeline.at(-1)?.note})`, timeoutMs);
}

export function jobFor(engine: Engine, deviceKey: string): Job | undefined {
  return engine.ota.list().filter(j => j.deviceKey === deviceKey).at(-1);
}
