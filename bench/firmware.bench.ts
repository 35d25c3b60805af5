/**
 * Firmware store figures: how long identifying one image takes (read, hash, gzip, markers), and how
 * long the store takes to load a folder of N firmware files cold (no cache: every file read and
 * hashed), warm (metadata cache valid) and to rescan it unchanged (what runs every 30 s).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {loadConfig} from '../src/config/load.js';
import {createEngine} from '../src/engine/engine.js';
import {buildFirmwareImage} from '../src/sim/build-image.js';
import {identifyFirmware} from '../src/engine/firmware/identify.js';
import type {BenchResult} from './run.js';

function time(fn: () => void, runs: number): number {
  fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / runs;
}

async function timeAsync(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function folder(count: number): Promise<{cold: number; warm: number; rescan: number}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homie-ota-bench-'));
  try {
    const root = path.join(dir, 'firmwares');
    fs.mkdirSync(root);
    const old = Date.now() / 1000 - 3600;
    for (let i = 0; i < count; i++) {
      const file = path.join(root, `fw${i % 20}-1.${Math.floor(i / 20)}.0.bin`);
      fs.writeFileSync(file, buildFirmwareImage({name: `fw${i % 20}`, version: `1.${Math.floor(i / 20)}.0`, size: 480 * 1024}));
      fs.utimesSync(file, old, old);
    }
    const result = loadConfig({firmwareDir: 'firmwares', logFile: 'none', httpHost: '127.0.0.1', httpPort: '0', brokerPort: '0'}, {}, dir);
    if (!result.ok) throw new Error(result.errors.join('; '));
    const run = async () => {
      const engine = createEngine(result.config);
      let rescan = 0;
      const load = await timeAsync(() => engine.firmware.start());
      if (engine.firmware.list().length !== count) throw new Error(`listed ${engine.firmware.list().length} of ${count}`);
      rescan = await timeAsync(() => engine.firmware.rescan());
      await engine.firmware.stop();
      return {load, rescan};
    };
    const cold = await run();
    const warm = await run();
    return {cold: cold.load, warm: warm.load, rescan: warm.rescan};
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

export async function run(): Promise<BenchResult[]> {
  const images: Array<[string, Buffer]> = [
    ['ESP8266 480 KiB', buildFirmwareImage({size: 480 * 1024})],
    ['ESP32 1.7 MiB', buildFirmwareImage({chip: 'esp32', size: 1700 * 1024})],
    ['ESP8266 gzip (of 480 KiB)', buildFirmwareImage({size: 480 * 1024, gzip: true})],
  ];
  const identify: BenchResult = {
    title: 'identify one image (MD5 + SHA-256 + markers + layout; gzip inflated)',
    columns: ['image', 'file size', 'ms per image'],
    rows: images.map(([label, data]) => [label, data.length, time(() => void identifyFirmware(data), 20).toFixed(2)]),
    note: `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
  };
  const rows: Array<Array<string | number>> = [];
  for (const count of [50, 200]) {
    const r = await folder(count);
    rows.push([count, r.cold.toFixed(0), r.warm.toFixed(0), r.rescan.toFixed(1)]);
  }
  return [identify, {
    title: 'load a firmware folder of 480 KiB images',
    columns: ['files', 'cold start ms (no cache)', 'warm start ms (cache)', 'unchanged rescan ms'],
    rows,
    note: 'cold = every file read and hashed; warm = firmware-cache.json valid; the rescan runs every 30 s',
  }];
}
