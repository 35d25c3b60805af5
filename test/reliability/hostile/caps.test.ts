import fs from 'node:fs';
import path from 'node:path';
import mqtt, {type MqttClient} from 'mqtt';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import type {Engine} from '../../../src/engine/engine.js';
import {ALWAYS_KEPT, MAX_TOPICS_PER_DEVICE} from '../../../src/engine/inventory/limits.js';
import type {TestBroker} from '../../helpers/aedes.js';
import {engineFixture} from '../../helpers/engine-fixture.js';
import {deviceTopics, RawPublisher} from '../../helpers/homie-publisher.js';
import {waitFor} from '../../helpers/wait-for.js';

/**
 * Caps that used to hide what matters: a device's topic cap that dropped its $state and firmware, a
 * Homie 5 $description cut at its cap reported as "not JSON", homie-ota's own status topic left
 * "offline" by someone else, another client throwing homie-ota off the broker with its client id
 * without a word, and 409 for a rollout that does not exist.
 */
const world = engineFixture();
let broker: TestBroker;
const clients: MqttClient[] = [];
beforeEach(async () => {
  broker = await world.aedes();
});
// runs before the fixture's teardown (hooks run in reverse order)
afterEach(async () => {
  for (const client of clients.splice(0)) await client.endAsync(true).catch(() => {});
});

async function publishAll(topics: Array<[string, string]>): Promise<void> {
  const publisher = await RawPublisher.connect(broker.port);
  for (const [topic, payload] of topics) await publisher.publish(topic, payload);
  await publisher.close();
}

async function start(): Promise<Engine> {
  const {engine} = await world.start({overrides: {mqtt: broker.url}});
  await waitFor(() => engine.inventory.discoveryStatus.phase === 'complete' && engine.mqtt.connected, 'connected and loaded', 10_000);
  return engine;
}

async function retained(topic: string): Promise<string> {
  const reader = await mqtt.connectAsync(broker.url);
  clients.push(reader);
  const value = new Promise<string>(resolve => reader.on('message', (_t, payload) => resolve(payload.toString())));
  await reader.subscribeAsync(topic);
  return Promise.race([value, new Promise<string>(resolve => setTimeout(() => resolve('(nothing)'), 1000))]);
}

describe('caps that must not hide what matters', () => {
  it('keeps $state, the firmware and the OTA attributes of a device that filled its topic cap with junk first', async () => {
    const junk: Array<[string, string]> = Array.from({length: 600}, (_, i) => [`homie/flood/junk${i}`, 'x']);
    const real = deviceTopics('v3', 'homie', 'flood', {fw: 'relay', version: '2.1.0'});
    await publishAll([...junk, ['homie/flood/$homie', '3.0.1'], ...real.filter(([t]) => !t.endsWith('/$homie')), ['homie/flood/$implementation/ota/status', '200']]);
    const e = await start();
    await waitFor(() => e.inventory.get('homie/flood')?.fw.version, 'the flooded device with its firmware', 10_000);
    const record = e.inventory.get('homie/flood')!;
    expect(record).toMatchObject({state: 'ready', homie: '3.0.1', fw: {name: 'relay', version: '2.1.0'}, otaEnabled: true, otaStatus: '200', ip: expect.any(String)});
    const topics = e.inventory.topics('homie/flood')!;
    expect(topics.size).toBeLessThanOrEqual(MAX_TOPICS_PER_DEVICE + ALWAYS_KEPT.size);
    expect(e.inventory.detail('homie/flood')!.problems).toEqual([expect.stringMatching(/topic\(s\) ignored: more than the 400 kept per device \(its state, firmware and OTA attributes are always kept\)/)]);
    // a later $state still comes through
    await publishAll([['homie/flood/$state', 'sleeping']]);
    await waitFor(() => e.inventory.get('homie/flood')?.state === 'sleeping', 'a later $state');
  });

  it('says a Homie 5 $description cut at 64 KiB is too big, not that it is not JSON', async () => {
    const huge = JSON.stringify({homie: '5.0', version: 1, name: 'Big', nodes: Object.fromEntries(Array.from({length: 3000}, (_, i) => [`n${i}`, {name: `node number ${i}`, properties: {}}]))});
    expect(huge.length).toBeGreaterThan(64 * 1024);
    await publishAll([['homie/5/big/$state', 'ready'], ['homie/5/big/$description', huge]]);
    const e = await start();
    await waitFor(() => e.inventory.detail('homie/5/big')?.problems.length, 'the description read', 10_000);
    expect(e.inventory.detail('homie/5/big')!.problems).toEqual(['$description is larger than 64 KiB, the most homie-ota keeps of one; its nodes and properties are not shown']);
  });

  it('sets its own status topic back to online when someone publishes "offline" there, again and again', async () => {
    const e = await start();
    await waitFor(async () => (await retained('homie-ota/status')) === 'online', 'online at start');
    const prankster = await mqtt.connectAsync(broker.url);
    clients.push(prankster);
    for (let round = 0; round < 2; round++) {
      await prankster.publishAsync('homie-ota/status', 'offline', {qos: 1, retain: true});
      // the second one comes inside the rate limit: it is set right when the limit allows
      await waitFor(async () => (await retained('homie-ota/status')) === 'online', `online again (round ${round + 1})`, 10_000, 200);
    }
    expect(e.logger.recent().filter(x => /homie-ota\/status was set to "offline" by another client while homie-ota runs; set back to online/.test(x.message))).toHaveLength(1);
  }, 30_000);

  it('names another client using its client id as the reason it keeps losing the broker', async () => {
    const e = await start();
    const id = e.config.mqtt.clientId;
    expect(id).toMatch(/^homie-ota-\d+-[0-9a-f]{4}$/);
    // a client with the same id that always comes back: the broker throws the older of the two off
    const twin = mqtt.connect(broker.url, {clientId: id, reconnectPeriod: 300});
    clients.push(twin);
    await waitFor(() => e.logger.recent().some(x => x.message.includes(`closed homie-ota's connection 3 times within seconds of connecting: another MQTT client is probably using homie-ota's client id "${id}"`)), 'the takeover named in the log', 25_000, 100);
  }, 30_000);

  it('answers 404 for a rollout that does not exist, 409 for one that cannot change', async () => {
    fs.mkdirSync(path.join(world.dir, 'firmwares'));
    const done = {id: 'r-1', firmware: {name: 'relay', version: '1.1.0'}, scope: 'devices running relay', state: 'done', maxFailures: 1, createdAt: 1, updatedAt: 2, reason: '3/3 done, 0 failed'};
    fs.writeFileSync(path.join(world.dir, 'firmwares', 'jobs.json'), JSON.stringify({version: 1, nextId: 2, jobs: [], rollouts: [done], history: {}}));
    const e = await start();
    const post = (p: string) => fetch(`http://127.0.0.1:${e.http.boundPort}${p}`, {method: 'POST'});
    for (const action of ['cancel', 'pause', 'resume']) {
      expect((await post(`/api/rollouts/r-999/${action}`)).status, action).toBe(404);
      const known = await post(`/api/rollouts/r-1/${action}`);
      expect(known.status, action).toBe(409);
      expect(await known.json()).toEqual({error: expect.stringMatching(/^rollout r-1 /)});
    }
  });
});
