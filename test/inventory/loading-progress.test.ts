import {describe, expect, it} from 'vitest';
import {engineFixture} from '../helpers/engine-fixture.js';
import {publishFleet} from '../helpers/homie-publisher.js';
import {runMosquittoTests} from '../helpers/mosquitto.js';
import {waitFor} from '../helpers/wait-for.js';

interface Listed {
  key: string;
  loading: boolean;
  state: string;
  ip?: string;
  fw: {name?: string; version?: string};
}
interface Health {
  inventory: {devices: number; phase: string; loading: boolean; attributesLoaded: number; progress?: string};
}

/**
 * While a fleet's retained attributes arrive, /healthz says how far they are and /api/devices marks
 * the devices still loading; a device no longer marked has all of them (the firmware and address).
 */
describe.runIf(runMosquittoTests)('loading progress over HTTP', () => {
  const world = engineFixture();

  it('reports "attributes N of M devices" while loading, marks loading devices, and stops saying so when every attribute is in', async () => {
    const broker = await world.mosquitto();
    const count = 3000;
    await publishFleet(broker.port, {count, generation: 'v3'});
    const {engine} = await world.start({overrides: {mqtt: broker.url}});
    const base = `http://127.0.0.1:${engine.http.boundPort}`;
    const progress: string[] = [];
    let sawLoadingDevice = false;
    let unmarkedButIncomplete = 0;
    while (engine.inventory.discoveryStatus.phase !== 'complete') {
      const health = (await fetch(`${base}/healthz`).then(r => r.json())) as Health;
      if (health.inventory.loading) {
        expect(health.inventory.progress).toMatch(/^loading: attributes [\d,]+ of [\d,]+ devices$/);
        progress.push(health.inventory.progress!);
        const listed = (await fetch(`${base}/api/devices`).then(r => r.json())) as Listed[];
        sawLoadingDevice ||= listed.some(d => d.loading);
        // not marked loading: every attribute is in
        unmarkedButIncomplete += listed.filter(d => !d.loading && (!d.ip || !d.fw.version || d.state !== 'ready')).length;
      }
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    expect(progress.length).toBeGreaterThan(0);
    expect(sawLoadingDevice).toBe(true);
    expect(unmarkedButIncomplete).toBe(0);
    // the counts rise
    const loaded = progress.map(p => Number(/attributes ([\d,]+)/.exec(p)![1]!.replace(/,/g, '')));
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));

    await waitFor(async () => !((await fetch(`${base}/healthz`).then(r => r.json())) as Health).inventory.loading, 'loaded', 10_000);
    const health = (await fetch(`${base}/healthz`).then(r => r.json())) as Health;
    expect(health.inventory).toEqual({devices: count, phase: 'complete', loading: false, attributesLoaded: count});
    const listed = (await fetch(`${base}/api/devices`).then(r => r.json())) as Listed[];
    expect(listed).toHaveLength(count);
    expect(listed.filter(d => d.loading)).toEqual([]);
    const one = (await fetch(`${base}/api/devices/${encodeURIComponent(listed[0]!.key)}`).then(r => r.json())) as Listed;
    expect(one.loading).toBe(false);
    const status = (await fetch(`${base}/api/inventory`).then(r => r.json())) as {states: Record<string, number>; discovery: {loading: number}};
    expect(status.states).toEqual({ready: count});
    expect(status.discovery.loading).toBe(0);
  });
});
