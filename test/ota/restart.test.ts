import {afterEach, describe, expect, it} from 'vitest';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import {startFleet, type Fleet} from '../../src/sim/index.js';
import {startAedes, type TestBroker} from '../helpers/aedes.js';
import {testConfig} from '../helpers/config.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';
import {FAST, finished, writeFirmware} from './helpers.js';

let broker: TestBroker | null = null;
let fleet: Fleet | null = null;
let engine: Engine | null = null;
let cleanup: (() => void) | null = null;
afterEach(async () => {
  await fleet?.stop();
  await engine?.stop();
  await broker?.close();
  cleanup?.();
  fleet = engine = broker = null;
});

async function startEngine(dir: string): Promise<Engine> {
  const e = createEngine(testConfig(dir, {mqtt: broker!.url, concurrency: '1'}));
  e.ota.timings = {...FAST, reboot: 15_000, pushAnswer: 15_000};
  await e.start();
  await waitFor(() => e.firmware.byFile('relay-1.1.0.bin'), 'firmware loaded');
  await waitFor(() => e.inventory.discoveryStatus.completedAt, 'inventory loaded');
  return e;
}

describe('a restart in the middle of a rollout', () => {
  it('keeps the jobs, reconciles the one in transfer against what the device reports, and never sends it twice', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    writeFirmware(t.dir, 'relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 120_000});
    broker = await startAedes();
    fleet = startFleet({url: broker.url, specs: ['m1', 'm2', 'm3'].map(id => ({id, generation: 'v3' as const, fw: {name: 'relay', version: '1.0.0'}})), flashSpeed: 60_000, rebootDelay: 300});
    await fleet.waitAllAdvertised();
    engine = await startEngine(t.dir);
    // ready, and its OTA announcement in (without it the job is refused)
    for (const id of ['m1', 'm2', 'm3']) await waitFor(() => engine!.inventory.get(`homie/${id}`)?.state === 'ready' && engine!.inventory.get(`homie/${id}`)?.otaEnabled, `${id} ready`);
    const created = engine.ota.create({deviceKeys: ['homie/m1', 'homie/m2', 'homie/m3'], firmware: {name: 'relay', version: '1.1.0'}, rollout: {scope: 'test', canary: false, maxFailures: 3}});
    expect(created.jobs, JSON.stringify(created)).toHaveLength(3);
    const first = created.jobs[0]!.id;
    await waitFor(() => engine!.ota.get(first)?.state === 'flashing', 'first job flashing');
    await engine.stop();

    engine = await startEngine(t.dir);
    const reloaded = engine.ota.get(first)!;
    expect(reloaded.timeline.some(e => /restarted during the transfer/.test(e.note ?? ''))).toBe(true);
    // it picks up the device's progress again instead of sending anew
    await waitFor(() => engine!.ota.get(first)?.state === 'flashing' || engine!.ota.get(first)?.state === 'rebooting', 'tracking the transfer');
    const jobs = await Promise.all(created.jobs.map(j => finished(engine!, j.id, 30_000)));
    expect(jobs.map(j => j.state)).toEqual(['done', 'done', 'done']);
    expect(jobs[0]!.timeline.filter(e => e.state === 'sending')).toHaveLength(1);
    expect(engine.inventory.get('homie/m1')!.fw.version).toBe('1.1.0');
  });
});
