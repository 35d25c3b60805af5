import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {Engine} from '../../src/engine/engine.js';
import {CUT_MARK, MAX_TOPICS_PER_DEVICE, MAX_VALUE_LENGTH} from '../../src/engine/inventory/limits.js';
import {Logger} from '../../src/engine/log.js';
import {TIMELINE_LIMIT} from '../../src/engine/ota/job.js';
import {engineFixture} from '../helpers/engine-fixture.js';
import {deviceTopics, RawPublisher} from '../helpers/homie-publisher.js';
import {sleep, waitFor} from '../helpers/wait-for.js';
import {writeFirmware} from '../ota/helpers.js';

/**
 * Everything that grows with time has a bound: a year of running must not fill the disk or the
 * memory. Each test pushes past the bound and checks what is kept.
 */
const fixture = engineFixture();

describe('log files', () => {
  it('rotate at LOG_MAX_SIZE and keep .1 … .3, each about the size asked for', async () => {
    const dir = fixture.dir;
    const engine = fixture.create({ini: ['[global]', 'LOG_FILE = homie-ota.log', 'LOG_MAX_SIZE = 16K'], overrides: {logFile: 'homie-ota.log'}});
    expect(engine.config.logMaxSize).toBe(16 * 1024);
    await engine.start();
    // about 250 KB of log, written as a busy homie-ota writes it: bursts, flushed every 200 ms
    const line = `a device said something long enough to fill the log quickly ${'x'.repeat(60)}`;
    for (let burst = 0; burst < 25; burst++) {
      for (let i = 0; i < 60; i++) engine.log.info(`${burst}/${i} ${line}`);
      await sleep(220);
    }
    await engine.stop();
    const files = fs.readdirSync(dir).filter(f => f.startsWith('homie-ota.log')).sort();
    expect(files).toEqual(['homie-ota.log', 'homie-ota.log.1', 'homie-ota.log.2', 'homie-ota.log.3']);
    const sizes = files.map(f => fs.statSync(path.join(dir, f)).size);
    // a write that would pass the limit goes to a fresh file: none is larger than LOG_MAX_SIZE
    for (const size of sizes) expect(size).toBeLessThanOrEqual(16 * 1024);
    expect(sizes.slice(1).every(size => size > 8 * 1024)).toBe(true);
    // the newest lines are in the current file, the oldest kept in .3
    const text = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
    expect(text('homie-ota.log')).toContain('stopped');
    expect(text('homie-ota.log') + text('homie-ota.log.1')).toContain('24/59 a device');
    const firstBurst = (f: string) => Number(/ (\d+)\/\d+ a device/.exec(text(f))?.[1]);
    expect(firstBurst('homie-ota.log.3')).toBeLessThan(firstBurst('homie-ota.log.2'));
    expect(firstBurst('homie-ota.log.2')).toBeLessThan(firstBurst('homie-ota.log.1'));
    process.stdout.write(`log rotation: 25 bursts of 60 lines at LOG_MAX_SIZE 16K → ${files.map((f, i) => `${f} ${sizes[i]} B`).join(', ')}\n`);
  });

  it('the log view keeps the newest 2,000 entries', () => {
    const logger = new Logger({debug: false, file: null});
    const log = logger.child('test');
    for (let i = 0; i < 5000; i++) log.info(`entry ${i}`);
    expect(logger.recent()).toHaveLength(2000);
    expect(logger.recent().at(-1)!.message).toBe('entry 4999');
    expect(logger.recent()[0]!.message).toBe('entry 3000');
  });
});

describe('OTA bookkeeping', () => {
  async function world(): Promise<{engine: Engine; publisher: RawPublisher}> {
    writeFirmware(fixture.dir, 'relay-1.0.0.bin', {name: 'relay', version: '1.0.0'});
    writeFirmware(fixture.dir, 'relay-2.0.0.bin', {name: 'relay', version: '2.0.0'});
    const {engine: e} = await fixture.start();
    await waitFor(() => e.firmware.list().length === 2, 'store');
    const publisher = await RawPublisher.connect(e.broker!.boundPort);
    for (const [topic, payload] of deviceTopics('v3', 'homie', 'current', {fw: 'relay', version: '1.0.0'})) await publisher.publish(topic, payload);
    for (const [topic, payload] of deviceTopics('v3', 'homie', 'flaky', {fw: 'relay', version: '1.0.0', state: 'lost'})) await publisher.publish(topic, payload);
    await publisher.flush();
    await waitFor(() => e.inventory.get('homie/current')?.fw.version && e.inventory.get('homie/flaky')?.fw.version && e.inventory.discoveryStatus.completedAt, 'devices');
    return {engine: e, publisher};
  }

  it('keeps 20 history entries per device and at most 500 finished jobs, however many are asked for', async () => {
    const {engine: e, publisher} = await world();
    // "update to what it already runs": skipped every time, each a finished job and a history line
    for (let i = 0; i < 650; i++) {
      const result = e.ota.create({deviceKeys: ['homie/current'], firmware: {name: 'relay', version: '1.0.0'}});
      expect(result.skipped).toHaveLength(1);
    }
    expect(e.ota.historyFor('homie/current')).toHaveLength(20);
    expect(e.ota.list().length).toBeLessThanOrEqual(500);
    await publisher.close();
  });

  it('keeps a waiting job\'s timeline short while its device flaps for hours', async () => {
    const {engine: e, publisher} = await world();
    const [job] = e.ota.create({deviceKeys: ['homie/flaky'], firmware: {name: 'relay', version: '2.0.0'}}).jobs;
    expect(job).toBeDefined();
    const states = [['sleeping', 'asleep'], ['init', 'is init'], ['disconnected', 'is disconnected'], ['lost', 'is lost']] as const;
    for (let i = 0; i < 150; i++) {
      const [state, reason] = states[i % 4]!;
      await publisher.publish('homie/flaky/$state', state);
      await publisher.flush();
      await waitFor(() => e.ota.get(job!.id)!.waitingFor?.includes(reason), `waiting: ${reason}`);
    }
    await sleep(100);
    const timeline = e.ota.get(job!.id)!.timeline;
    expect(timeline.length).toBeGreaterThan(10);
    expect(timeline.length).toBeLessThanOrEqual(TIMELINE_LIMIT);
    await publisher.close();
  });
});

describe('the inventory', () => {
  it('keeps at most 400 topics and 1 KiB per value of one device', async () => {
    const {engine: e} = await fixture.start();
    const publisher = await RawPublisher.connect(e.broker!.boundPort);
    for (const [topic, payload] of deviceTopics('v3', 'homie', 'greedy')) await publisher.publish(topic, payload);
    for (let i = 0; i < 1000; i++) await publisher.publish(`homie/greedy/node${i}/value`, 'x'.repeat(20_000));
    await publisher.publish('homie/greedy/$name', 'n'.repeat(100_000));
    await publisher.flush();
    await waitFor(() => e.inventory.topics('homie/greedy')?.size === MAX_TOPICS_PER_DEVICE && e.inventory.topics('homie/greedy')!.get('$name')!.endsWith(CUT_MARK), 'bounded');
    const topics = e.inventory.topics('homie/greedy')!;
    for (const [, value] of topics) expect(value.length).toBeLessThanOrEqual(MAX_VALUE_LENGTH + CUT_MARK.length);
    expect(topics.get('$name')!.endsWith(CUT_MARK)).toBe(true);
    await publisher.close();
  });
});
