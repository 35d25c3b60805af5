import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {parseInventory} from '../../src/engine/inventory/persistence.js';
import {deviceId, deviceTopics, RawPublisher} from '../helpers/homie-publisher.js';
import {freePort} from '../helpers/ports.js';
import {CLI, ensureBuilt} from '../helpers/pty.js';
import {tempDir} from '../helpers/tmp.js';
import {sleep, waitFor} from '../helpers/wait-for.js';

let dir: string;
let cleanup: () => void;
let child: ChildProcess | null = null;
beforeAll(() => ensureBuilt());
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await new Promise(resolve => child!.once('exit', resolve));
  }
  child = null;
  cleanup();
});

/**
 * homie-ota (the built CLI, embedded broker) is killed with SIGKILL at random moments while devices
 * keep appearing and changing state; after every kill inventory.json must load, and no device known
 * at the previous start may be missing.
 */
describe('inventory.json survives kill -9', () => {
  it('always loads after SIGKILL during heavy updates', async () => {
    const fwDir = path.join(dir, 'fw');
    const file = path.join(fwDir, 'inventory.json');
    let known = 0;
    let next = 0;
    const rounds = Number(process.env.KILL_ROUNDS ?? 4);
    for (let round = 0; round < rounds; round++) {
      const brokerPort = await freePort();
      const httpPort = await freePort();
      child = spawn(process.execPath, [CLI, '--headless', '--mqtt', 'embedded', '--broker-port', String(brokerPort), '--http-host', '127.0.0.1',
        '--http-port', String(httpPort), '--firmware-dir', fwDir, '--log-file', 'none', '--no-watch'], {stdio: 'ignore', cwd: dir});
      const publisher = await waitFor(() => RawPublisher.connect(brokerPort).catch(() => null), 'embedded broker up', 10_000);
      // heavy updates: new devices, state flips, stats, until the kill
      let stop = false;
      const load = (async () => {
        let tick = 0;
        while (!stop) {
          for (const [topic, payload] of deviceTopics('v3', 'homie', deviceId(next++), {state: 'ready'})) await publisher.publish(topic, payload);
          for (let i = 0; i < 20; i++) {
            const id = deviceId(Math.floor(Math.random() * next));
            await publisher.publish(`homie/${id}/$state`, tick++ % 2 ? 'ready' : 'init');
            await publisher.publish(`homie/${id}/$stats/uptime`, String(tick), false);
          }
          await publisher.flush();
          await sleep(2);
        }
      })().catch(() => {}); // the kill ends it
      await waitFor(() => fs.existsSync(file) && parseInventory(fs.readFileSync(file, 'utf8'), 'homie').entries.length > known, 'a save with the new devices', 30_000);
      await sleep(200 + Math.random() * 1500);
      child.kill('SIGKILL');
      await new Promise(resolve => child!.once('exit', resolve));
      stop = true;
      await load;
      await publisher.close().catch(() => {});
      const loaded = parseInventory(fs.readFileSync(file, 'utf8'), 'homie');
      expect(loaded.messages).toEqual([]);
      expect(loaded.entries.length).toBeGreaterThan(known);
      known = loaded.entries.length;
      expect(fs.readdirSync(fwDir).filter(f => f.includes('.bad-'))).toEqual([]);
    }
    expect(known).toBeGreaterThan(rounds);
  }, 120_000);
});
