import {afterEach, describe, expect, it} from 'vitest';
import type {Engine} from '../../../src/engine/engine.js';
import {startAedes} from '../../helpers/aedes.js';
import {countRetained, forgetMany} from '../../helpers/forget-many.js';
import {runMosquittoTests, startMosquitto} from '../../helpers/mosquitto.js';
import {SHORT} from '../../helpers/reliability.js';
import {tempDir} from '../../helpers/tmp.js';

// SHORT=1 (CI): 70,000, still past the 65,535 message ids that used to collide
const TOPICS = Number(process.env.FORGET_TOPICS ?? (SHORT ? 70_000 : 100_000));
let engine: Engine | null = null;
const closing: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await engine?.stop();
  engine = null;
  for (const close of closing.splice(0).reverse()) await close();
});

const brokers = [
  {name: 'mosquitto', run: runMosquittoTests, start: async () => {
    const m = await startMosquitto();
    return {url: m.url, port: m.port, close: () => m.stop()};
  }},
  {name: 'aedes', run: true, start: async () => {
    const a = await startAedes();
    return {url: a.url, port: a.port, close: () => a.close()};
  }},
];

describe(`forgetting a device with ${TOPICS.toLocaleString('en')} retained topics`, () => {
  for (const broker of brokers) {
    it.runIf(broker.run)(`on ${broker.name}: the DELETE answers within 5 s (202 with progress), and every topic is cleared`, async () => {
      const t = tempDir();
      closing.push(t.cleanup);
      const b = await broker.start();
      closing.push(b.close);
      const result = await forgetMany(t.dir, b.url, b.port, TOPICS, 10_000);
      engine = result.engine;
      process.stdout.write(`forget ${TOPICS} topics on ${broker.name}: answered ${result.status} in ${Math.round(result.answerMs)} ms, done in ${Math.round(result.doneMs)} ms, ${result.cleared} cleared, ${result.left} left\n`);
      expect(result.answerMs).toBeLessThan(6000);
      expect([200, 202]).toContain(result.status);
      expect(result.cleared).toBeGreaterThanOrEqual(TOPICS);
      expect(result.left).toBe(0);
      // the device next to it keeps its topics
      expect(await countRetained(b.url, 'homie/other/#')).toBeGreaterThan(20);
    }, 300_000);
  }
});
