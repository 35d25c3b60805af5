import {spawn, spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {loadConfig} from '../../src/config/load.js';
import {DEMO_CAST, DEMO_FIRMWARE, DEMO_OTA_PLAN} from '../../src/demo/cast.js';
import {parseDemoCount, prepareDemo, removeStaleDemoDirs, type Demo} from '../../src/demo/demo.js';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import {percent} from '../../src/engine/ota/job.js';
import {SIM_IMAGE_SIZE} from '../../src/sim/index.js';
import {CLI, ensureBuilt} from '../helpers/pty.js';
import {finished, otaWorld} from '../ota/helpers.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';
import {observe} from '../sim/sim-helpers.js';

let tmp: string;
let cleanup: () => void;
let demo: Demo | null = null;
let engine: Engine | null = null;

beforeAll(() => ensureBuilt());
beforeEach(() => ({dir: tmp, cleanup} = tempDir('homie-ota-demo-test-')));
afterEach(async () => {
  await demo?.stop();
  await engine?.stop();
  demo = null;
  engine = null;
  cleanup();
});

describe('--demo N', () => {
  it('takes 1 to 5000 devices, 12 by default, and explains anything else', () => {
    expect(parseDemoCount(undefined)).toBe(12);
    expect(parseDemoCount('3')).toBe(3);
    for (const bad of ['0', '-1', 'x', '5001', '2.5']) expect(parseDemoCount(bad)).toMatch(/whole number from 1 to 5000/);
  });

  it('prepares a temporary folder with demo firmware and settings of its own; a homie-ota.ini in the current folder is not read', async () => {
    demo = await prepareDemo('3', {tmp});
    expect(demo).not.toBeNull();
    const firmwares = path.join(demo!.dir, 'firmwares');
    for (const fw of DEMO_FIRMWARE) {
      expect(fs.existsSync(path.join(firmwares, `${fw.name}-${fw.version}.bin`))).toBe(true);
      expect(fs.readFileSync(path.join(firmwares, `${fw.name}-${fw.version}.txt`), 'utf8')).toBe(`${fw.description}\n`);
    }
    fs.writeFileSync(path.join(tmp, 'homie-ota.ini'), '[mqtt]\nMQTT_HOST = real-broker.example\n[global]\nOTA_FIRMWARE_ROOT = /srv/real-store\n');
    const loaded = loadConfig({...demo!.overrides, firmwareDir: demo!.overrides.firmwareDir}, {}, tmp);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const c = loaded.config;
    expect(c.mqtt.embedded).toBe(true);
    expect(c.mqtt.brokerHost).toBe('127.0.0.1');
    expect(c.mqtt.brokerPort).toBe(0);
    expect(c.http.host).toBe('127.0.0.1');
    expect(c.http.port).toBe(0);
    expect(c.firmwareRoot).toBe(firmwares);
    expect(c.logFile).toBe(path.join(demo!.dir, 'homie-ota.log'));
    expect(c.mqtt.prefixes).toEqual(['homie', 'devices']);
  });

  it('starts the cast on the embedded broker: every generation, checksums matching the demo files, one device lost', async () => {
    demo = await prepareDemo(undefined, {tmp});
    const loaded = loadConfig(demo!.overrides, {}, tmp);
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    engine = createEngine(loaded.config);
    await engine.start();
    await demo!.start(engine);
    const port = engine.broker!.boundPort;
    const watcher = await observe(`mqtt://127.0.0.1:${port}`, ['homie/+/$state', 'homie/+/$online', 'homie/5/+/$state', 'devices/+/$online', 'homie/+/$fw/checksum'], {qos: 1});
    try {
      await demo!.fleet!.waitAllAdvertised(10_000);
      const live = () => new Set(watcher.messages.filter(m => m.payload === 'ready' || m.payload === 'true').map(m => m.topic.split('/').at(-2)));
      await waitFor(() => DEMO_CAST.filter(d => d.id !== 'garden-probe').every(d => live().has(d.id!)), 'every cast device ready or online', 10_000);
      expect(new Set(demo!.fleet!.devices.map(d => d.generation))).toEqual(new Set(['v1', 'v2', 'v2.3', 'v3', 'homie4', 'homie5']));
      const file = fs.readFileSync(path.join(demo!.dir, 'firmwares', 'demo-light-1.0.0.bin'));
      const checksum = await waitFor(() => watcher.messages.find(m => m.topic === 'homie/kitchen-light/$fw/checksum'), 'the checksum');
      expect(checksum.payload).toBe(crypto.createHash('md5').update(file).digest('hex'));
      await waitFor(() => watcher.messages.some(m => m.topic === 'homie/shed-sensor/$state' && m.payload === 'lost'), 'the shed sensor to be lost', 15_000);
      expect(demo!.otaPlan.map(p => p.device)).toEqual(['homie/kitchen-light', 'homie/boiler-relay']);
      expect(demo!.fleet!.device('boiler-relay')!.faults.flashErrorAt).toBe(60);
    } finally {
      await watcher.close();
    }
  });

  it('the failing demo update stops at 60 %, as the README says, with the device\'s reason', async () => {
    const boiler = DEMO_CAST.find(d => d.id === 'boiler-relay')!;
    const world = await otaWorld({specs: [boiler], firmware: [['demo-relay-3.2.0.bin', {name: 'demo-relay', version: '3.2.0', size: SIM_IMAGE_SIZE}]]});
    try {
      const plan = DEMO_OTA_PLAN.find(p => p.device === 'homie/boiler-relay')!;
      const job = await finished(world.engine, world.engine.ota.create({deviceKeys: [plan.device], firmware: plan.firmware}).jobs[0]!.id);
      expect(job.error).toBe('writing the flash failed on the device (500 FLASH_ERROR)');
      expect(percent(job)).toBe(60);
      expect(fs.readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8')).toMatch(/one fails at 60 % with the device's reason/);
    } finally {
      await world.close();
    }
  });

  it('removes folders of demos that were killed, not those of running ones', () => {
    const dead = fs.mkdtempSync(path.join(tmp, 'homie-ota-demo-'));
    const living = fs.mkdtempSync(path.join(tmp, 'homie-ota-demo-'));
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'}).stdout;
    fs.writeFileSync(path.join(dead, 'pid'), gone);
    fs.writeFileSync(path.join(living, 'pid'), String(process.ppid));
    removeStaleDemoDirs(tmp);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(living)).toBe(true);
  });
});

describe('homie-ota --demo, as a newcomer runs it', () => {
  it('headless: names its ports, runs the devices, and leaves nothing behind after SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, '--demo', '4', '--headless'], {cwd: tmp, env: {...process.env, TMPDIR: tmp}, stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (out += d));
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    const line = await waitFor(() => /4 simulated devices on the embedded broker 127\.0\.0\.1:(\d+);/.exec(out), `the demo line; output so far:\n${out}`, 15_000);
    const dirs = fs.readdirSync(tmp).filter(n => n.startsWith('homie-ota-demo-'));
    expect(dirs).toHaveLength(1);
    const watcher = await observe(`mqtt://127.0.0.1:${line[1]}`, ['homie/+/$state'], {qos: 1});
    try {
      await waitFor(() => ['kitchen-light', 'hall-sensor', 'garage-door', 'boiler-relay'].every(id => watcher.messages.some(m => m.topic === `homie/${id}/$state` && m.payload === 'ready')), 'the four devices', 10_000);
    } finally {
      await watcher.close();
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.readdirSync(tmp).filter(n => n.startsWith('homie-ota-demo-'))).toEqual([]);
  });

  it('a bad device count stops with exit status 2 and says why', () => {
    const result = spawnSync(process.execPath, [CLI, '--demo', 'many', '--headless'], {cwd: tmp, encoding: 'utf8', env: {...process.env, TMPDIR: tmp}});
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--demo many: the number of simulated devices must be a whole number/);
  });
});
