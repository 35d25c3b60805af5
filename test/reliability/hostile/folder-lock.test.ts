import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {LOCK_FILE, processStart} from '../../../src/engine/instance-lock.js';
import {ensureStopped, startHomieOta, type HomieOtaProcess} from '../../helpers/homie-ota-process.js';
import {CLI, ensureBuilt} from '../../helpers/pty.js';
import {freePort} from '../../helpers/ports.js';
import {tempDir} from '../../helpers/tmp.js';
import {waitFor} from '../../helpers/wait-for.js';

/**
 * One firmware folder, one homie-ota. Two instances on one folder used to run side by side: job ids
 * collided and, after both stopped, jobs.json held one instance's jobs and inventory.json the other's
 * devices.
 */
let dir: string;
let cleanup: () => void;
const procs: HomieOtaProcess[] = [];
beforeAll(() => ensureBuilt());
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(async () => {
  for (const proc of procs.splice(0)) await ensureStopped(proc);
  cleanup();
});

const root = () => path.join(dir, 'firmwares');
const lockFile = () => path.join(root(), LOCK_FILE);

async function start(extra: string[] = [], options: {ini?: string; user?: string; password?: string} = {}): Promise<HomieOtaProcess> {
  const proc = await startHomieOta({cwd: dir, args: ['--broker-port', '0', '--firmware-dir', root(), ...extra], watch: [/lock/], ...options});
  procs.push(proc);
  return proc;
}

interface Attempt {
  readonly child: ReturnType<typeof spawn>;
  /** how it ended: exit code, stderr, how long it ran */
  readonly ended: Promise<{code: number | null; err: string; ms: number}>;
}

/** A start on the same folder, on its own ports; killed after `limitMs` if it has not ended. */
function spawnStart(httpPort: number, limitMs = 30_000): Attempt {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, '--headless', '--http-host', '127.0.0.1', '--http-port', String(httpPort), '--broker-port', '0', '--firmware-dir', root()], {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
  let err = '';
  child.stderr!.on('data', d => (err += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const ended = new Promise<{code: number | null; err: string; ms: number}>(resolve => child.on('exit', code => {
    clearTimeout(killer);
    resolve({code, err, ms: Date.now() - started});
  }));
  return {child, ended};
}

/** A second start that is expected to end by itself. */
async function tryStart(): Promise<{code: number | null; err: string; ms: number}> {
  return spawnStart(await freePort(), 15_000).ended;
}

describe('the firmware folder lock (built CLI)', () => {
  it('a second instance on the same folder exits 2 at once, naming the running one and what to do', async () => {
    const first = await start([], {ini: '[global]\nHTTP_USER = admin\nHTTP_PASSWORD = never-in-the-lock\n', user: 'admin', password: 'never-in-the-lock'});
    const lock = JSON.parse(fs.readFileSync(lockFile(), 'utf8'));
    expect(lock).toMatchObject({format: 'homie-ota-lock', pid: first.pid, hostname: os.hostname(), state: 'running',
      endpoints: {http: {url: `http://127.0.0.1:${first.httpPort}`, port: first.httpPort, tls: false, auth: true}, broker: {embedded: true, port: expect.any(Number)}}});
    expect(fs.readFileSync(lockFile(), 'utf8')).not.toContain('never-in-the-lock');
    expect(fs.statSync(lockFile()).mode & 0o777).toBe(0o640);
    // the URL in the lock is what a local client uses to reach it
    expect((await fetch(`${lock.endpoints.http.url}/healthz`)).status).toBe(200);

    const second = await tryStart();
    expect(second.code, second.err).toBe(2);
    // 'at once': the second start runs until stopped without the lock; the bound leaves room for a loaded machine
    expect(second.ms).toBeLessThan(10_000);
    process.stdout.write(`second instance on the folder: exit ${second.code} after ${second.ms} ms\n`);
    expect(second.err).toContain(`homie-ota: the firmware folder ${root()} is in use by another homie-ota (pid ${first.pid} on ${os.hostname()}, started ${lock.startedAt}, HTTP http://127.0.0.1:${first.httpPort}, embedded broker on port ${lock.endpoints.broker.port}); two instances on one folder overwrite each other's jobs and inventory. Stop that one (kill ${first.pid}, or systemctl stop homie-ota), or give this one another --firmware-dir`);
    expect(first.running()).toBe(true);
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).token).toBe(lock.token);

    expect((await first.stop()).code).toBe(0);
    expect(fs.existsSync(lockFile())).toBe(false);
    const third = await start();
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).toBe(third.pid);
  }, 60_000);

  it('takes over the lock of a killed instance, and of a pid now used by another process', async () => {
    const killed = await start();
    await killed.kill9();
    expect(fs.existsSync(lockFile())).toBe(true);
    const next = await start();
    await waitFor(() => next.matches().some(line => /WARN {2}app: took over .*\.homie-ota\.lock: the homie-ota that held it \(pid \d+ .*\) no longer runs/.test(line)), 'takeover logged');
    await next.stop();

    // a lock naming a live process that is not the one that wrote it (the pid was reused after a reboot or a crash)
    const reused = {format: 'homie-ota-lock', pid: process.pid, hostname: os.hostname(), procStart: String(Number(processStart(process.pid)) + 1), startedAt: '2020-01-01T00:00:00.000Z', version: '0.0.1', token: 'x', state: 'running'};
    fs.writeFileSync(lockFile(), JSON.stringify(reused));
    const after = await start();
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).toBe(after.pid);
  }, 60_000);

  it('of instances started at the same moment exactly one runs, also over a stale lock', async () => {
    for (const stale of [false, true, false, true]) {
      fs.mkdirSync(root(), {recursive: true});
      if (stale) fs.writeFileSync(lockFile(), JSON.stringify({format: 'homie-ota-lock', pid: 999_999_999, hostname: os.hostname(), startedAt: 'x', version: 'x', token: 'gone', state: 'running'}));
      else fs.rmSync(lockFile(), {force: true});
      const ports = await Promise.all([freePort(), freePort(), freePort()]);
      const attempts = ports.map(port => spawnStart(port));
      // the winner is the one whose lock is there, saying it runs
      const lock = await waitFor(() => {
        const text = fs.existsSync(lockFile()) ? fs.readFileSync(lockFile(), 'utf8') : '';
        const info = text ? JSON.parse(text) : null;
        return info?.state === 'running' && info.token !== 'gone' ? info : null;
      }, `a winner (stale lock ${stale})`, 30_000, 50);
      const winner = attempts.find(a => a.child.pid === lock.pid);
      expect(winner, `the lock names pid ${lock.pid}, one of the three`).toBeDefined();
      for (const loser of attempts.filter(a => a !== winner)) {
        const result = await loser.ended;
        expect(result.code, result.err).toBe(2);
        expect(result.err).toMatch(new RegExp(`is in use by another homie-ota \\(pid ${lock.pid} `));
      }
      expect(winner!.child.exitCode).toBeNull();
      winner!.child.kill('SIGTERM');
      expect((await winner!.ended).code).toBe(0);
      process.stdout.write(`3 starts at once${stale ? ' over a stale lock' : ''}: pid ${lock.pid} runs, 2 exit 2\n`);
      expect(fs.existsSync(lockFile())).toBe(false);
    }
  }, 120_000);

  it('inspect and --readonly run beside the owner without taking the folder', async () => {
    const owner = await start();
    const inspect = spawn(process.execPath, [CLI, 'inspect', CLI], {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
    expect(await new Promise(resolve => inspect.on('exit', resolve))).not.toBe(2);
    const viewer = await startHomieOta({cwd: dir, args: ['--broker-port', '0', '--firmware-dir', root(), '--readonly']});
    procs.push(viewer);
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).toBe(owner.pid);
    await viewer.stop();
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).toBe(owner.pid);
  }, 60_000);
});
