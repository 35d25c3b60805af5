import fs from 'node:fs';
import path from 'node:path';
import {buildFirmwareImage, type BuildImageOptions} from '../../src/sim/build-image.js';
import type {Fleet} from '../../src/sim/index.js';
import {ensureStopped, type HomieOtaProcess} from './homie-ota-process.js';
import type {Mosquitto} from './mosquitto.js';
import {waitFor} from './wait-for.js';

/** SHORT=1: the CI form of the long suites. */
export const SHORT = process.env.SHORT === '1';

/** Put a firmware image into a store folder as an existing file (old mtime: not a copy in progress). */
export function placeFirmware(root: string, file: string, options: BuildImageOptions): Buffer {
  fs.mkdirSync(root, {recursive: true});
  const data = buildFirmwareImage(options);
  const target = path.join(root, file);
  fs.writeFileSync(target, data);
  const past = new Date(Date.now() - 120_000);
  fs.utimesSync(target, past, past);
  return data;
}

export interface ApiDevice {
  key: string;
  id: string;
  state: string;
  fw?: {name?: string; version?: string};
}

export interface ApiJob {
  id: string;
  device: string;
  deviceKey: string;
  state: string;
  firmware: {name: string; version: string};
  attempt: number;
  error: string | null;
  timeline: Array<{time: string; state: string; note: string | null}>;
}

export const FINAL = new Set(['done', 'failed', 'cancelled', 'skipped']);

export async function devices(proc: HomieOtaProcess): Promise<ApiDevice[]> {
  const {status, body} = await proc.api('/api/devices');
  if (status !== 200) throw new Error(`GET /api/devices answered ${status}`);
  return body as ApiDevice[];
}

export async function jobs(proc: HomieOtaProcess): Promise<ApiJob[]> {
  const {status, body} = await proc.api('/api/jobs');
  if (status !== 200) throw new Error(`GET /api/jobs answered ${status}`);
  return (body as {jobs: ApiJob[]}).jobs;
}

/** Devices of the fleet that the inventory does not show as the simulator says they are (ready, running fw). */
export async function inventoryMismatches(proc: HomieOtaProcess, fleet: Fleet): Promise<string[]> {
  const listed = new Map((await devices(proc)).map(d => [d.key, d]));
  const wrong: string[] = [];
  for (const device of fleet.devices) {
    const record = listed.get(device.key);
    const expected = `${device.fw.name} ${device.fw.version}`;
    if (!record) wrong.push(`${device.key}: not listed`);
    else if (`${record.fw?.name} ${record.fw?.version}` !== expected) wrong.push(`${device.key}: listed ${record.fw?.name} ${record.fw?.version}, runs ${expected}`);
    else if (device.state === 'ready' && record.state !== 'ready') wrong.push(`${device.key}: listed ${record.state}, is ready`);
  }
  return wrong;
}

/** Wait until the inventory agrees with the simulator on every device. */
export async function waitInventoryMatches(proc: HomieOtaProcess, fleet: Fleet, timeoutMs: number): Promise<void> {
  let last: string[] = [];
  await waitFor(async () => {
    last = await inventoryMismatches(proc, fleet);
    return last.length === 0;
  }, `the inventory to match the fleet`, timeoutMs, 250).catch(error => {
    throw new Error(`${(error as Error).message}: ${last.slice(0, 10).join('; ')}`);
  });
}

/** Wait until every job is final; returns them. */
export async function waitJobsFinal(proc: HomieOtaProcess, timeoutMs: number): Promise<ApiJob[]> {
  let last: ApiJob[] = [];
  await waitFor(async () => {
    last = await jobs(proc);
    return last.length > 0 && last.every(j => FINAL.has(j.state));
  }, 'every job to be final', timeoutMs, 500).catch(error => {
    const open = last.filter(j => !FINAL.has(j.state)).map(j => `${j.id} ${j.device} ${j.state}: ${j.timeline.at(-1)?.note}`);
    throw new Error(`${(error as Error).message}: ${open.slice(0, 10).join('; ')}`);
  });
  return last;
}

/** Count jobs per state: "done 18, failed 2". */
export function countStates(list: readonly {state: string}[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of list) out[item.state] = (out[item.state] ?? 0) + 1;
  return out;
}

export function report(title: string, lines: readonly string[]): void {
  process.stdout.write(`\n── ${title} ──\n${lines.map(l => `  ${l}`).join('\n')}\n`);
}

export function randomBetween(min: number, max: number): number {
  return min + Math.random() * (max - min);
}

/** What a long test may have started, stopped in order (fleet, homie-ota, broker, files) whatever happened. */
export async function stopParts(parts: {fleet?: Fleet | null; proc?: HomieOtaProcess | null; broker?: Mosquitto | null; cleanup?: (() => void) | null}): Promise<void> {
  await parts.fleet?.stop();
  await ensureStopped(parts.proc);
  await parts.broker?.stop(true);
  parts.cleanup?.();
}
