import fs from 'node:fs';
import {describe, expect, it} from 'vitest';
import {engineFixture, type StartedEngine} from './engine-fixture.js';
import {runMosquittoTests} from './mosquitto.js';
import {waitFor} from './wait-for.js';

const refused = async (port: number) => fetch(`http://127.0.0.1:${port}/healthz`).then(() => false, () => true);

describe('the engine fixture', () => {
  const world = engineFixture();

  it('stops the fleet, the engine and the broker it made and removes its folders; a second teardown does nothing', async () => {
    const started = await world.start({broker: 'aedes', fleet: {specs: [{id: 'f1', generation: 'v3'}]}});
    const extra = world.tempDir('homie-ota-extra-');
    await started.fleet!.waitAllAdvertised(10_000);
    await waitFor(() => started.engine.inventory.get('homie/f1'), 'the device listed');
    const port = started.engine.http.boundPort;
    expect(await refused(port)).toBe(false);
    expect([started.dir, extra].every(d => fs.existsSync(d))).toBe(true);

    await world.teardown();
    expect(fs.existsSync(started.dir)).toBe(false);
    expect(fs.existsSync(extra)).toBe(false);
    expect(await refused(port)).toBe(true);
    expect(started.aedes!.aedes.closed).toBe(true);
    expect(await refused(started.aedes!.port)).toBe(true);
    await world.teardown();
    // the next folder is a new one
    expect(world.dir).not.toBe(started.dir);
  });

  it.runIf(runMosquittoTests)('removes the mosquitto it started and its folder', async () => {
    const started = await world.start({broker: 'mosquitto'});
    expect(started.engine.config.mqtt.port).toBe(started.mosquitto!.port);
    expect(fs.existsSync(started.mosquitto!.dir)).toBe(true);
    await world.teardown();
    expect(fs.existsSync(started.mosquitto!.dir)).toBe(false);
    expect(fs.existsSync(started.dir)).toBe(false);
  });

  let failed: StartedEngine | null = null;
  it.fails('cleans up after a test that throws half-way (this test fails on purpose)', async () => {
    failed = await world.start({ini: ['[global]', 'DEBUG = true']});
    expect(failed.engine.config.debug).toBe(true);
    throw new Error('a test that fails half-way');
  });

  it('…so that its folder and engine are gone before the next test', async () => {
    expect(failed).not.toBeNull();
    expect(fs.existsSync(failed!.dir)).toBe(false);
    expect(await refused(failed!.engine.http.boundPort)).toBe(true);
  });
});
