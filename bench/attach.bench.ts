/**
 * Attaching to a big service: a homie-ota engine (in this process) with 5,000 devices on a stock
 * mosquitto, and the built CLI's `homie-ota attach URL` in a pseudo-terminal, as a user starts it
 * over SSH. Measured per run: from the spawn to the first frame whose Devices tab counts every
 * device (the snapshot fetched, decoded, fed to the store and drawn), the bytes of that snapshot,
 * and the attached process's RSS once it shows them. Target: every device shown in ≤ 1.5 s.
 * Beside it, to read that figure on a busy machine: the floor (a fresh node loading the dashboard's
 * modules and nothing else, at the same moment) and the attach itself measured in this process
 * (request → the store holding every device: the service's snapshot built, sent, read and decoded).
 * BENCH_ATTACH_DEVICES changes the fleet size.
 */
import path from 'node:path';
import * as pty from '@lydell/node-pty';
import stripAnsi from 'strip-ansi';
import type {BenchResult} from './run.js';
import {CLI} from './lib/processes.js';
import {procStatusMb} from './lib/fleet-start.js';
import {percentile} from './lib/stats.js';
import {spawnSync} from 'node:child_process';
import zlib from 'node:zlib';
import {createEngine} from '../src/engine/engine.js';
import {connectRemote} from '../src/remote/remote-source.js';
import {attachRoutes} from '../src/remote/stream-routes.js';
import {findMosquitto, startMosquitto} from '../test/helpers/mosquitto.js';
import {publishFleet} from '../test/helpers/homie-publisher.js';
import {testConfig} from '../test/helpers/config.js';
import {tempDir} from '../test/helpers/tmp.js';

const RUNS = 5;

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

/** One attach: ms until the Devices tab shows `count`/`count`, and the attached process's RSS then. */
function attachOnce(url: string, count: number, cwd: string): Promise<{ms: number; rssMb: number}> {
  const started = performance.now();
  const child = pty.spawn(process.execPath, [CLI, 'attach', url], {name: 'xterm-256color', cols: 100, rows: 30, cwd, env: {...process.env, TERM: 'xterm-256color'} as Record<string, string>});
  let raw = '';
  const wanted = `Devices ${count}/${count}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no frame with "${wanted}" in 30 s:\n${stripAnsi(raw).slice(-2000)}`));
    }, 30_000);
    child.onData(data => {
      raw += data;
      if (!stripAnsi(raw.slice(-20_000)).includes(wanted)) return;
      const ms = performance.now() - started;
      clearTimeout(timer);
      const rssMb = procStatusMb(child.pid, 'VmRSS');
      child.write('q');
      child.onExit(() => resolve({ms, rssMb}));
      raw = '';
    });
  });
}

/** ms for a fresh node to load the dashboard's modules (Ink, React, the views): what any dashboard start pays. */
function dashboardLoadMs(): number {
  const script = `const t = performance.now(); process.env.NODE_ENV = 'production'; import(${JSON.stringify(path.join(path.dirname(CLI), 'ui/run-ui.js'))}).then(() => process.stdout.write(String(performance.now() - t)))`;
  const started = performance.now();
  const result = spawnSync(process.execPath, ['-e', script], {encoding: 'utf8'});
  if (result.status !== 0) throw new Error(result.stderr);
  return performance.now() - started;
}

/** ms from asking for the stream to a store holding every device, in this process. */
async function connectMs(url: string, count: number): Promise<number> {
  const started = performance.now();
  const source = await connectRemote({url});
  const ms = performance.now() - started;
  const total = source.store.getSnapshot().devices.total;
  source.close();
  if (total !== count) throw new Error(`the store holds ${total} devices, not ${count}`);
  return ms;
}

export async function run(): Promise<BenchResult> {
  const title = 'Attach to a running service';
  if (!findMosquitto()) return {title, columns: ['result'], rows: [['skipped: mosquitto is not installed']]};
  const count = Number(process.env.BENCH_ATTACH_DEVICES ?? 5000);
  const broker = await startMosquitto();
  const {dir, cleanup} = tempDir('homie-ota-bench-attach-');
  const engine = createEngine(testConfig(dir, {mqtt: broker.url}));
  const attach = attachRoutes(engine, {version: 'bench'});
  engine.http.register(attach.routes);
  try {
    await publishFleet(broker.port, {count, generation: 'v3', device: i => ({uptime: i, signal: i % 100})});
    await engine.start();
    await waitUntil(() => engine.inventory.discoveryStatus.phase === 'complete' && engine.inventory.list().length === count, 120_000);
    const url = `http://127.0.0.1:${engine.http.boundPort}`;
    const snapshot = await fetch(`${url}/api/stream`).then(async res => {
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      return text.slice(0, text.indexOf('\n\n'));
    });
    const runs: Array<{ms: number; rssMb: number}> = [];
    const floor: number[] = [];
    const connects: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await attachOnce(url, count, path.dirname(dir)));
      await waitUntil(() => !attach.hub.active, 5000);
      floor.push(dashboardLoadMs());
      connects.push(await connectMs(url, count));
      await waitUntil(() => !attach.hub.active, 5000);
    }
    const times = runs.map(r => r.ms);
    return {
      title,
      columns: ['what', 'median', 'worst', 'target'],
      rows: [
        [`spawn → every one of ${count.toLocaleString('en')} devices on screen (ms, ${RUNS} runs)`, percentile(times, 50).toFixed(0), Math.max(...times).toFixed(0), '≤ 1500'],
        ['floor: a fresh node loading the dashboard\'s modules only (ms)', percentile(floor, 50).toFixed(0), Math.max(...floor).toFixed(0), ''],
        [`the attach alone: request → store with every device, in-process (ms)`, percentile(connects, 50).toFixed(0), Math.max(...connects).toFixed(0), ''],
        ['the first snapshot event (KiB; gzipped, as to another host)', `${(snapshot.length / 1024).toFixed(0)}; ${(zlib.gzipSync(snapshot).length / 1024).toFixed(0)}`, '', ''],
        ['attached process RSS then (MB)', percentile(runs.map(r => r.rssMb), 50).toFixed(0), Math.max(...runs.map(r => r.rssMb)).toFixed(0), ''],
      ],
      note: `The service is an engine in the bench process on a stock mosquitto; the attached dashboard is the built CLI in a pseudo-terminal (100×30). Load average at the end: ${(await import('node:os')).loadavg()[0]!.toFixed(1)}.`,
    };
  } finally {
    attach.hub.close();
    await engine.stop();
    await broker.stop();
    cleanup();
  }
}
