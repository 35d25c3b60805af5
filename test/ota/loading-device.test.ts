import {describe, expect, it} from 'vitest';
import type {Job} from '../../src/engine/ota/job.js';
import {STILL_LOADING} from '../../src/engine/ota/plan.js';
import {engineFixture} from '../helpers/engine-fixture.js';
import {deviceTopics, RawPublisher} from '../helpers/homie-publisher.js';
import {waitFor} from '../helpers/wait-for.js';
import {FAST, writeFirmware} from './helpers.js';

/**
 * A device's rows come first (the row wildcards), its other retained attributes with its own
 * subscriptions later. An update asked for in between must not be refused for what has not arrived
 * yet (`$implementation/ota/enabled`): the job is queued with a note, waits for the load, and is
 * decided on the complete record. Here aedes holds the devices' own subscriptions until the test
 * lets them through, so the window is as long as the test needs.
 */
describe('an update asked for while a device is still loading', () => {
  const world = engineFixture();

  it('is queued, waits for the load, then goes or fails on the complete record', async () => {
    const broker = await world.aedes();
    const held: Array<() => void> = [];
    let holding = true;
    broker.aedes.authorizeSubscribe = (_client, subscription, callback) => {
      if (holding && /^homie\/relay-[12]\//.test(subscription.topic)) held.push(() => callback(null, subscription));
      else callback(null, subscription);
    };
    const publisher = await RawPublisher.connect(broker.port);
    for (const id of ['relay-1', 'relay-2']) {
      for (const [topic, payload] of deviceTopics('v3', 'homie', id, {fw: 'relay', version: '1.0.0'})) {
        // relay-1 never announces OTA support; relay-2 does, but only its own subscriptions bring it
        if (id === 'relay-1' && topic.endsWith('/$implementation/ota/enabled')) continue;
        await publisher.publish(topic, payload);
      }
    }
    await publisher.flush();
    await publisher.close();

    writeFirmware(world.dir, 'relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 50_000});
    const engine = world.create({overrides: {mqtt: broker.url}});
    engine.ota.timings = {...FAST};
    await engine.start();
    await waitFor(() => engine.firmware.byFile('relay-1.1.0.bin'), 'the firmware in the store', 10_000);
    // the rows are in, the rest is held back
    await waitFor(() => ['homie/relay-1', 'homie/relay-2'].every(key => engine.inventory.get(key)?.fw.version === '1.0.0' && engine.inventory.isLoading(key)),
      'both rows in while their loads are held', 10_000);
    expect(engine.inventory.get('homie/relay-2')?.otaEnabled).toBeUndefined();

    const result = engine.ota.create({deviceKeys: ['homie/relay-1', 'homie/relay-2'], firmware: {name: 'relay', version: '1.1.0'}, allowNameChange: false});
    expect(result.refused).toEqual([]);
    expect(result.jobs.map(j => j.deviceKey)).toEqual(['homie/relay-1', 'homie/relay-2']);
    for (const job of result.jobs) expect(job.timeline.map(e => e.note).join('\n')).toContain(STILL_LOADING);
    const jobOf = (key: string): Job => engine.ota.list().find(j => j.deviceKey === key)!;
    await waitFor(() => jobOf('homie/relay-1').state === 'waiting', 'the jobs to wait', 5_000);
    expect(jobOf('homie/relay-1').waitingFor).toMatch(/still loading/);
    expect(jobOf('homie/relay-2').state).toBe('waiting');

    holding = false;
    for (const release of held.splice(0)) release();
    await waitFor(() => engine.inventory.discoveryStatus.completedAt, 'the load to complete', 10_000);
    expect(engine.inventory.get('homie/relay-2')?.otaEnabled).toBe(true);
    // relay-1 never said it takes OTA: now that its record is complete, it is refused for that
    await waitFor(() => jobOf('homie/relay-1').state === 'failed', 'relay-1 to fail', 10_000);
    expect(jobOf('homie/relay-1').error).toMatch(/does not announce homie-esp8266 OTA support/);
    // relay-2 does: its firmware is pushed (nobody answers here; that it was sent is the point)
    await waitFor(() => jobOf('homie/relay-2').timeline.some(e => e.state === 'sending'), 'relay-2 to be sent its firmware', 10_000);
  });
});
