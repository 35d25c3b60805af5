/**
 * The built CLI as a user runs it: the dashboard in a real pseudo-terminal (100×30, output drained,
 * not emulated, so the bench costs the app nothing), or headless. Gives the process id for /proc
 * figures and the HTTP base URL, and the steady-state load of a fleet whose every device publishes
 * one property a second.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as pty from '@lydell/node-pty';
import {CLI, cpuSeconds, freePort, tempDir} from './processes.js';
import type {StartedCli} from './fleet-start.js';
import {RAW_MQTT_PRELUDE} from './raw-mqtt-script.js';

/** The dashboard in a pty; `stop()` sends q-less SIGTERM and removes its folder. */
export async function startDashboard(args: string[]): Promise<StartedCli & {output(): string}> {
  const dir = tempDir('homie-ota-bench-ui-');
  const port = await freePort();
  const env = {...process.env, TERM: 'xterm-256color'} as Record<string, string>;
  delete env.CI;
  const startedAt = performance.now();
  const startedEpoch = Date.now();
  const term = pty.spawn(process.execPath, [CLI, '--http-host', '127.0.0.1', '--http-port', String(port), '--firmware-dir', path.join(dir, 'fw'),
    '--log-file', 'none', '--no-watch', ...args], {name: 'xterm-256color', cols: 100, rows: 30, cwd: dir, env});
  let out = '';
  term.onData(d => {
    out = (out + d).slice(-20_000);
  });
  let exitCode: number | null = null;
  const exited = new Promise<void>(resolve => term.onExit(({exitCode: code}) => {
    exitCode = code;
    resolve();
  }));
  // a ChildProcess-shaped view of what the figures need
  const child = {get pid() { return term.pid; }, get exitCode() { return exitCode; }, kill: (s?: NodeJS.Signals) => term.kill(s)} as unknown as ChildProcess;
  return {
    child, dir, startedAt, startedEpoch, base: `http://127.0.0.1:${port}`, stderr: () => out.slice(-2000), output: () => out,
    stop: async () => {
      if (exitCode === null) {
        term.kill('SIGTERM');
        const timer = setTimeout(() => term.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, {recursive: true, force: true});
    },
  };
}

/** RSS of a process once it has settled: the lowest of five samples over `settleMs` after a pause. */
export async function settledRssMb(pid: number, settleMs = 3000): Promise<number> {
  await new Promise(resolve => setTimeout(resolve, settleMs));
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    samples.push(Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024));
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  return Math.min(...samples);
}

/** Wait until a pty app has drawn something containing `text`. */
export async function waitForOutput(app: {output(): string}, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!app.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`the dashboard did not show ${JSON.stringify(text)}; it showed: ${app.output().slice(-500)}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

// Every device publishes one retained property value a second, spread over 20 slices a second, on a
// raw MQTT 3.1.1 connection.
const STEADY_PUBLISHER = `${RAW_MQTT_PRELUDE}
let slice = 0;
setInterval(() => {
  const chunks = [];
  for (let i = slice % 20; i < count; i += 20) {
    const id = 'dev-' + String(i).padStart(5, '0');
    chunks.push(packet(0x31, Buffer.concat([str('homie/' + id + '/sensor/temperature'), Buffer.from(String(15 + ((i + slice) % 100) / 10))])));
  }
  slice++;
  s.write(Buffer.concat(chunks));
}, 50);
`;

/** % of one core the process `pid` uses over `seconds` while every one of `count` devices publishes once a second. */
export async function steadyCpu(pid: number, brokerPort: number, count: number, seconds = 10): Promise<number> {
  const publisher = spawn(process.execPath, ['-e', STEADY_PUBLISHER, String(brokerPort), String(count)], {stdio: 'ignore'});
  try {
    await new Promise(resolve => setTimeout(resolve, 3000));
    const cpu = cpuSeconds(pid);
    const t = performance.now();
    await new Promise(resolve => setTimeout(resolve, seconds * 1000));
    return ((cpuSeconds(pid) - cpu) / ((performance.now() - t) / 1000)) * 100;
  } finally {
    publisher.kill();
  }
}
