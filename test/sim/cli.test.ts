import {spawn} from 'node:child_process';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';
import {startAedes, type TestBroker} from '../helpers/aedes.js';
import {CLI, ensureBuilt} from '../helpers/pty.js';
import {observe, until} from './sim-helpers.js';

/** `homie-ota simulate` as a user runs it: devices appear, a summary line, Ctrl+C leaves them lost. */
let broker: TestBroker | null = null;
beforeAll(() => ensureBuilt());
afterEach(async () => {
  await broker?.close();
  broker = null;
});

describe('homie-ota simulate', () => {
  it('runs the devices until SIGINT, prints a summary, and the broker marks them lost afterwards', async () => {
    broker = await startAedes();
    const watcher = await observe(broker.url, ['homie/+/$state', 'homie/+/$online', 'devices/+/$online'], {qos: 1});
    const child = spawn(process.execPath, [CLI, 'simulate', '--mqtt', broker.url, '--devices', '6', '--generation', 'v3:4,v2:1,v1:1', '--id-prefix', 'cli', '--fault', 'ota-disabled:1'], {stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (out += d));
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    try {
      await until(() => /6 devices: ready 6 \|/.test(out), `the summary line; output:\n${out}`, 10_000);
      expect(out).toMatch(/^homie-ota simulate: 6 devices \(v3 4, v2 1, v1 1\) → mqtt:\/\/127\.0\.0\.1:\d+, faithful mode/m);
      expect(out).toMatch(/faults: 1 device/);
      const live = () => new Set(watcher.messages.filter(m => m.payload === 'ready' || m.payload === 'true').map(m => m.topic.split('/')[1]));
      await until(() => live().size === 6, 'six devices on the broker');
      const from = watcher.messages.length;
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toMatch(/SIGINT: stopping 6 devices…\nstopped/);
      await until(() => watcher.messages.slice(from).filter(m => m.payload === 'lost' || m.payload === 'false').length === 6, 'six wills');
    } finally {
      child.kill('SIGKILL');
      await watcher.close();
    }
  });

  it('an unreachable broker is named in the summary, with what to check', async () => {
    const child = spawn(process.execPath, [CLI, 'simulate', '--mqtt', 'mqtt://127.0.0.1:1', '--devices', '2'], {stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    child.stdout.on('data', d => (out += d));
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    try {
      await until(() => /connecting 2 .*cannot connect: ECONNREFUSED; is the broker running\?/.test(out), `the summary; output:\n${out}`, 8000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
