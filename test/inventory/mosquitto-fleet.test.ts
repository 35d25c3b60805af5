import {describe, expect, it} from 'vitest';
import {engineFixture} from '../helpers/engine-fixture.js';
import {deviceTopics, publishFleet} from '../helpers/homie-publisher.js';
import {runMosquittoTests} from '../helpers/mosquitto.js';
import {waitFor} from '../helpers/wait-for.js';

/**
 * The stock mosquitto drops QoS 0 messages once ~1000 wait for a client, so a plain `homie/#`
 * subscription loses most of a large fleet. This proves the discovery gets every device and every
 * retained attribute of thousands of devices (the 20,000-device version is in test/long/scale).
 */
describe.runIf(runMosquittoTests)('a fleet on a stock mosquitto', () => {
  const world = engineFixture();

  it('lists every device with every retained attribute: 3,000 Homie 3 devices × 33 topics', async () => {
    const broker = await world.mosquitto();
    const count = 3000;
    const {ids, messages} = await publishFleet(broker.port, {count, generation: 'v3', device: i => ({version: `1.0.${i % 7}`, uptime: i})});
    expect(messages).toBe(count * 33);
    const {engine} = await world.start({overrides: {mqtt: broker.url}});
    await waitFor(() => engine.inventory.discoveryStatus.phase === 'complete', 'every attribute loaded', 60_000);
    const list = engine.inventory.list();
    expect(list).toHaveLength(count);
    let incomplete = 0;
    for (const [i, id] of ids.entries()) {
      const topics = engine.inventory.topics(`homie/${id}`);
      const expected = deviceTopics('v3', 'homie', id, {version: `1.0.${i % 7}`, uptime: i});
      if (!topics || topics.size !== expected.length || expected.some(([topic, payload]) => topics.get(topic.slice(`homie/${id}/`.length)) !== payload)) incomplete++;
    }
    expect(incomplete).toBe(0);
    expect(list.every(r => r.state === 'ready' && r.confirmed && r.fw.version?.startsWith('1.0.'))).toBe(true);
    expect(engine.inventory.discoveryStatus.lateFinds).toBe(0);
  });

  it('knows every device\'s firmware, IP and nodes, then its name, signal, uptime and node properties, before the devices\' own loads', async () => {
    const broker = await world.mosquitto();
    await publishFleet(broker.port, {count: 2000, generation: 'v3'});
    await publishFleet(broker.port, {count: 100, generation: 'v1', prefix: 'devices'});
    await publishFleet(broker.port, {count: 100, generation: 'v5', first: 5000});
    const {engine} = await world.start({overrides: {mqtt: broker.url, prefix: 'homie,devices'}});
    // the first look once each stage is said to be in, while most devices' own loads still run
    const rows = await waitFor(() => (engine.inventory.discoveryStatus.rowsAt !== undefined ? engine.inventory.discoveryStatus : undefined), 'what identifies a device', 60_000, 1);
    let list = engine.inventory.list();
    expect(list).toHaveLength(2200);
    expect(rows.loading).toBeGreaterThan(1000);
    // a Homie 5 description names no firmware or IP
    const lacking = list.filter(r => r.state !== 'ready' || (r.homie !== '5.0' && (!r.fw.name || !r.fw.version || !r.ip)));
    expect(lacking.map(r => r.key).slice(0, 5)).toEqual([]);
    const nodes = (key: string) => engine.inventory.detail(key)?.nodes ?? [];
    expect(list.filter(r => nodes(r.key).length === 0).map(r => r.key).slice(0, 5)).toEqual([]);

    const details = await waitFor(() => (engine.inventory.discoveryStatus.detailsAt !== undefined ? engine.inventory.discoveryStatus : undefined), 'the rest of the rows', 60_000, 1);
    list = engine.inventory.list();
    expect(details.loading).toBeGreaterThan(500);
    const lackingDetails = list.filter(r => !r.name || (r.homie !== '5.0' && (r.signal === undefined || r.uptime === undefined)));
    expect(lackingDetails.map(r => r.key).slice(0, 5)).toEqual([]);
    // Homie 1.x declares no properties: they are known from their values
    const withoutProperties = list.filter(r => r.homie !== '1.x' && nodes(r.key).some(n => n.properties.length === 0));
    expect(withoutProperties.map(r => r.key).slice(0, 5)).toEqual([]);
    await waitFor(() => engine.inventory.discoveryStatus.phase === 'complete', 'every attribute loaded', 60_000);
    expect(engine.inventory.discoveryStatus.lateFinds).toBe(0);
  });

  it('mixes generations and prefixes on one broker', async () => {
    const broker = await world.mosquitto();
    await publishFleet(broker.port, {count: 200, generation: 'v1', prefix: 'devices'});
    await publishFleet(broker.port, {count: 200, generation: 'v2', first: 1000});
    await publishFleet(broker.port, {count: 200, generation: 'v4', first: 2000});
    await publishFleet(broker.port, {count: 200, generation: 'v5', first: 3000});
    const {engine} = await world.start({overrides: {mqtt: broker.url, prefix: 'homie,devices'}});
    await waitFor(() => engine.inventory.discoveryStatus.phase === 'complete', 'every attribute loaded', 60_000);
    const byHomie = new Map<string, number>();
    for (const r of engine.inventory.list()) byHomie.set(r.homie, (byHomie.get(r.homie) ?? 0) + 1);
    expect(Object.fromEntries(byHomie)).toEqual({'1.x': 200, '2.0.0': 200, '4.0.0': 200, '5.0': 200});
    const sizes = new Set(engine.inventory.list().map(r => `${r.homie}:${engine.inventory.topics(r.key)!.size}`));
    expect([...sizes].sort()).toEqual(['1.x:10', '2.0.0:24', '4.0.0:30', '5.0:5']);
  });
});
