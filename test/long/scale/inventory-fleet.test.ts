import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createEngine, type Engine} from '../../../src/engine/engine.js';
import {testConfig} from '../../helpers/config.js';
import {deviceId, deviceTopics, publishFleet} from '../../helpers/homie-publisher.js';
import {runMosquittoTests, startMosquitto, type Mosquitto} from '../../helpers/mosquitto.js';
import {tempDir} from '../../helpers/tmp.js';
import {waitFor} from '../../helpers/wait-for.js';

/**
 * The full-size fleet: 20,000 Homie 3 devices × 33 retained topics (660,000 messages) on a stock
 * mosquitto, where a `homie/#` subscription would lose most of them. Every device and every attribute
 * must arrive. SHORT=1 runs 5,000 devices.
 */
const COUNT = process.env.SHORT === '1' ? 5000 : 20_000;

let broker: Mosquitto;
let engine: Engine;
let cleanup: () => void;

beforeAll(async () => {
  if (!runMosquittoTests) return;
  broker = await startMosquitto();
  await publishFleet(broker.port, {count: COUNT, generation: 'v3', device: i => ({version: `2.${i % 11}.0`, uptime: i, signal: i % 101})});
}, 300_000);

afterAll(async () => {
  await engine?.stop();
  await broker?.stop();
  cleanup?.();
});

describe.runIf(runMosquittoTests)(`inventory of ${COUNT.toLocaleString('en-US')} devices on a stock mosquitto`, () => {
  it('lists every device as ready, then every attribute of every device', async () => {
    const {dir, cleanup: done} = tempDir();
    cleanup = done;
    engine = createEngine(testConfig(dir, {mqtt: broker.url}));
    const started = Date.now();
    await engine.start();
    await waitFor(() => engine.inventory.counts.online === COUNT, 'every device ready', 60_000, 50);
    const readyMs = Date.now() - started;
    await waitFor(() => engine.inventory.discoveryStatus.phase === 'complete', 'every attribute', 240_000, 100);
    const loadedMs = Date.now() - started;
    let incomplete = 0;
    for (let i = 0; i < COUNT; i++) {
      const id = deviceId(i);
      const topics = engine.inventory.topics(`homie/${id}`);
      const expected = deviceTopics('v3', 'homie', id, {version: `2.${i % 11}.0`, uptime: i, signal: i % 101});
      if (!topics || topics.size !== expected.length || expected.some(([t, v]) => topics.get(t.slice(`homie/${id}/`.length)) !== v)) incomplete++;
    }
    process.stdout.write(`${COUNT} devices: all ready after ${readyMs} ms, every attribute after ${loadedMs} ms\n`);
    expect(incomplete).toBe(0);
    expect(engine.inventory.list()).toHaveLength(COUNT);
    expect(engine.inventory.discoveryStatus.lateFinds).toBe(0);
  });
});
