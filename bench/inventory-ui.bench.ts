/**
 * The Devices view under load: 20,000 devices on a stock mosquitto and 500 live messages/s from a
 * separate publisher process (per 100: 45 uptime, 45 signal, 9 sensor values, 1 state change — a
 * fleet reporting stats about every minute, with 5 state changes a second). Ink renders the whole dashboard into a fake
 * 100×30 terminal in this process, which also runs the engine, as in real use. Measured:
 * - keypress → frame: from a PgDn/PgUp written to stdin to the frame showing the new rows. "render"
 *   draws every frame at once (our cost: store, selectors, React, Ink); "as shipped" uses the app's
 *   the shipped maxFps (MAX_FPS in src/ui/run-ui.tsx), whose throttle can hold a frame up to 1000/MAX_FPS ms.
 *   Keys go through the input pacer, as the app reads them (one row reads them directly, to compare),
 *   and a last row writes 10 PgDn at once (keys typed ahead) and waits for the frame of the last page;
 * - CPU of this process (engine + UI) over 10 s of live updates without keys, in % of one core.
 * Targets (2-core machine): keypress ≤ 30 ms, CPU < 25 %. BENCH_UI_DEVICES changes the fleet size;
 * BENCH_PROFILE=<file.cpuprofile> writes a CPU profile of the keypress rounds (node:inspector), which
 * `node --import tsx scripts/profile-load.ts top <file>` summarises.
 */
import {spawn} from 'node:child_process';
import {createRequire} from 'node:module';
import {EventEmitter} from 'node:events';
import fs from 'node:fs';
import {Session} from 'node:inspector/promises';
import stripAnsi from 'strip-ansi';
import type {BenchResult} from './run.js';
import {percentile} from './lib/stats.js';
import {RAW_MQTT_PRELUDE} from './lib/raw-mqtt-script.js';
import {createEngine, type Engine} from '../src/engine/engine.js';
import {createEngineSource} from '../src/store/engine-source.js';
import {PacedInput} from '../src/ui/input/paced-input.js';
import {findMosquitto, startMosquitto} from '../test/helpers/mosquitto.js';
import {publishFleet} from '../test/helpers/homie-publisher.js';
import {testConfig} from '../test/helpers/config.js';
import {tempDir} from '../test/helpers/tmp.js';

class FakeStdout extends EventEmitter {
  columns = 100;
  rows = 30;
  isTTY = true;
  /** the last few writes (Ink also writes bare cursor codes) */
  recent: string[] = [];
  writes = 0;
  onWrite: ((text: string) => void) | null = null;
  get last(): string {
    return this.recent.join('');
  }
  write(chunk: string | Buffer): boolean {
    this.recent.push(typeof chunk === 'string' ? chunk : chunk.toString());
    if (this.recent.length > 4) this.recent.shift();
    this.writes++;
    this.onWrite?.(this.recent.at(-1)!);
    return true;
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  #data: string | null = null;
  setRawMode(): this { return this; }
  setEncoding(): this { return this; }
  ref(): this { return this; }
  unref(): this { return this; }
  resume(): this { return this; }
  pause(): this { return this; }
  read(): string | null {
    const data = this.#data;
    this.#data = null;
    return data;
  }
  press(data: string): void {
    this.#data = data;
    this.emit('readable');
    this.emit('data', data);
  }
}

/** A publisher process sending `rate` messages/s (non-retained stats, some state flips) to `count` devices. */
const LIVE_PUBLISHER = `${RAW_MQTT_PRELUDE}
let n = 0;
setInterval(() => {
  const chunks = [];
  for (let i = 0; i < rate / 20; i++) {
    const id = 'dev-' + String(Math.floor(Math.random() * count)).padStart(5, '0');
    // like a fleet reporting stats every minute: uptime and signal, sensor values, and now and then a reboot
    const k = n++ % 100;
    const [topic, payload, retain] = k < 45 ? ['$stats/uptime', String(n), 0] : k < 90 ? ['$stats/signal', String(n % 100), 0]
      : k < 99 ? ['sensor/temperature', String(20 + (n % 50) / 10), 1] : ['$state', n % 200 ? 'ready' : 'init', 1];
    chunks.push(packet(retain ? 0x31 : 0x30, Buffer.concat([str('homie/' + id + '/' + topic), Buffer.from(payload)])));
  }
  s.write(Buffer.concat(chunks));
}, 50);
`;

// React and the UI load inside run(), after NODE_ENV is set as the app sets it (main.ts): a static
// import of anything that imports Ink (src/ui/run-ui.tsx included) would load React's development build
type Ui = {React: typeof import('react'); render: typeof import('ink').render; App: typeof import('../src/ui/app.js').App;
  PersistentStateProvider: typeof import('../src/ui/context.js').PersistentStateProvider; Providers: typeof import('../src/ui/context.js').Providers;
  maxFps: number};
let ui: Ui;

/** React's build is chosen once, when it is first loaded: refuse to measure the development build, which the app never runs. */
function assertProductionReact(): void {
  // (the cache also lists, unloaded, the build Node's export analysis saw but did not run)
  const cache = createRequire(import.meta.url).cache;
  const development = Object.keys(cache).find(file => /[\\/]react[\\w-]*\.development\.js$/.test(file) && cache[file]?.loaded);
  if (development) throw new Error(`React's development build is loaded (${development}): the UI must load only after NODE_ENV=production is set, inside run()`);
}

/** Ink's own time per frame (layout and output, React not included), from its onRender option. */
const inkTimes: number[] = [];

function mount(engine: Engine, stdout: FakeStdout, stdin: FakeStdin | PacedInput, options: Record<string, unknown>) {
  const {store, actions} = createEngineSource(engine);
  const {React, render, App, PersistentStateProvider, Providers} = ui;
  const app = React.createElement(PersistentStateProvider, {children: React.createElement(App)});
  const instance = render(
    React.createElement(Providers, {store, actions, children: app}),
    {stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, exitOnCtrlC: false, patchConsole: false,
      onRender: ({renderTime}: {renderTime: number}) => inkTimes.push(renderTime), ...options},
  );
  return {unmount: () => {
    instance.unmount();
    store.dispose();
  }};
}

/**
 * PgDn/PgUp at human speed, or (`burst`) that many PgDn in one write: the time until the frame shows
 * the page they lead to. `paced`: through the input pacer, as the app reads the terminal.
 */
async function measureKeys(engine: Engine, maxFps: number | 'debug', presses: number, options: {paced: boolean; burst?: number}): Promise<number[]> {
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  const input = options.paced ? new PacedInput(stdin) : stdin;
  const instance = mount(engine, stdout, input, maxFps === 'debug' ? {debug: true} : {maxFps});
  const latencies: number[] = [];
  try {
    await waitUntil(() => / of [\d,]+/.test(stripAnsi(stdout.last)), 20_000).catch(error => {
      throw new Error(`${(error as Error).message}; last output: ${JSON.stringify(stripAnsi(stdout.last).slice(0, 400))}`);
    });
    await new Promise(resolve => setTimeout(resolve, 500));
    let top = 1;
    const burst = options.burst ?? 1;
    for (let i = 0; i < presses; i++) {
      const down = i % 2 === 0;
      const budget = 23 * burst;
      const expected = down ? top + budget : top - budget;
      const marker = `${expected.toLocaleString('en-US')}-`;
      const seen = new Promise<number>(resolve => {
        stdout.onWrite = text => {
          if (stripAnsi(text).includes(` · ${marker}`)) resolve(performance.now());
        };
      });
      const started = performance.now();
      stdin.press((down ? '\u001B[6~' : '\u001B[5~').repeat(burst));
      const at = await Promise.race([seen, new Promise<number>(resolve => setTimeout(() => resolve(NaN), 2000))]);
      stdout.onWrite = null;
      latencies.push(at - started);
      top = expected;
      // keys come at human speed, at random moments relative to the 10 Hz snapshots
      await new Promise(resolve => setTimeout(resolve, 150 + Math.random() * 100));
    }
  } finally {
    instance.unmount();
  }
  return latencies;
}

async function measureCpu(engine: Engine, seconds: number, sortKeys: string): Promise<{cpu: number; frames: number}> {
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  const instance = mount(engine, stdout, stdin, {maxFps: ui.maxFps});
  try {
    await new Promise(resolve => setTimeout(resolve, 500));
    for (const key of sortKeys) {
      stdin.press(key);
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    await new Promise(resolve => setTimeout(resolve, 500));
    const frames = stdout.writes;
    const cpu = process.cpuUsage();
    const t = performance.now();
    await new Promise(resolve => setTimeout(resolve, seconds * 1000));
    const used = process.cpuUsage(cpu);
    return {cpu: ((used.user + used.system) / 1000 / (performance.now() - t)) * 100, frames: (stdout.writes - frames) / seconds};
  } finally {
    instance.unmount();
  }
}

/** Runs `work` under the CPU profiler when BENCH_PROFILE names a file to write the profile to. */
async function profiled<T>(work: () => Promise<T>): Promise<T> {
  const file = process.env.BENCH_PROFILE;
  if (!file) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', {interval: 200});
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const {profile} = await session.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

export async function run(): Promise<BenchResult> {
  process.env.NODE_ENV ??= 'production';
  const [React, ink, app, context, runUi] = await Promise.all([import('react'), import('ink'), import('../src/ui/app.js'), import('../src/ui/context.js'), import('../src/ui/run-ui.js')]);
  ui = {React: React.default ?? React, render: ink.render, App: app.App, PersistentStateProvider: context.PersistentStateProvider, Providers: context.Providers, maxFps: runUi.MAX_FPS};
  assertProductionReact();
  const MAX_FPS = ui.maxFps;
  if (!findMosquitto()) return {title: 'Devices view under load', columns: ['result'], rows: [['skipped: mosquitto is not installed']]};
  const count = Number(process.env.BENCH_UI_DEVICES ?? 20_000);
  const rate = 500;
  const broker = await startMosquitto();
  const {dir, cleanup} = tempDir('homie-ota-bench-ui-');
  const engine = createEngine(testConfig(dir, {mqtt: broker.url}));
  const live = spawn(process.execPath, ['-e', LIVE_PUBLISHER, String(broker.port), String(count), String(Number(process.env.BENCH_UI_RATE ?? rate))], {stdio: 'ignore'});
  try {
    await publishFleet(broker.port, {count, generation: 'v3', device: i => ({uptime: i, signal: i % 100})});
    await engine.start();
    await waitUntil(() => engine.inventory.discoveryStatus.phase === 'complete', 120_000);
    const rows: Array<Array<string | number>> = [];
    const ms = (v: number) => (Number.isNaN(v) ? 'lost' : v.toFixed(1));
    const runs = [
      {label: 'PgDn/PgUp → frame, render (unthrottled), read directly', mode: 'debug', paced: false},
      {label: 'PgDn/PgUp → frame, render (unthrottled), through the input pacer', mode: 'debug', paced: true},
      {label: `PgDn/PgUp → frame, as shipped (maxFps ${MAX_FPS}), read directly`, mode: MAX_FPS, paced: false},
      {label: `PgDn/PgUp → frame, as shipped (maxFps ${MAX_FPS}, input pacer)`, mode: MAX_FPS, paced: true},
      {label: '10 × PgDn in one write → frame of the last page, as shipped', mode: MAX_FPS, paced: true, burst: 10, target: ''},
    ] as const;
    // in two rounds, so a machine that gets busier halfway does not favour the runs measured first
    const latencies = runs.map(() => [] as number[]);
    const ink: number[] = [];
    await profiled(async () => {
      for (let round = 0; round < 2; round++) {
        for (const [i, run] of runs.entries()) {
          inkTimes.length = 0;
          latencies[i]!.push(...await measureKeys(engine, run.mode, 20, {paced: run.paced, burst: 'burst' in run ? run.burst : 1}));
          if (i === 0) ink.push(...inkTimes);
        }
      }
    });
    for (const [i, run] of runs.entries()) {
      const l = latencies[i]!;
      rows.push([run.label, ms(percentile(l, 50)), ms(percentile(l, 95)), ms(Math.max(...l)), 'target' in run ? run.target : '≤ 30 ms']);
      if (i === 0) rows.push(['  of which Ink layout + output per frame', ms(percentile(ink, 50)), ms(percentile(ink, 95)), ms(Math.max(...ink)), '']);
    }
    {
      const cpu = process.cpuUsage();
      const t = performance.now();
      await new Promise(resolve => setTimeout(resolve, 10_000));
      const used = process.cpuUsage(cpu);
      rows.push([`CPU, ${rate} msg/s live, engine only (no UI mounted)`, `${(((used.user + used.system) / 1000 / (performance.now() - t)) * 100).toFixed(1)} %`, '', '', '']);
    }
    for (const [label, keys] of [['sorted by id', ''], ['sorted by uptime (re-sorts as stats arrive)', '>>>>>']] as const) {
      const {cpu, frames} = await measureCpu(engine, 10, keys);
      rows.push([`CPU, ${rate} msg/s live, ${label}`, `${cpu.toFixed(1)} %`, `${frames.toFixed(1)} frames/s`, '', '< 25 %']);
    }
    const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
    return {
      title: `Devices view: ${count.toLocaleString('en-US')} devices, ${rate} live messages/s (engine + Ink in one process, 100×30)`,
      columns: ['measure', 'p50 / value', 'p95 / rate', 'max', 'target'],
      rows,
      note: `RSS of the bench process (engine + UI + bench) ${rss} MB. Keys at human speed (every 150-250 ms), at random moments relative to the 10 Hz snapshots.`,
    };
  } finally {
    live.kill();
    await engine.stop();
    await broker.stop();
    cleanup();
  }
}
