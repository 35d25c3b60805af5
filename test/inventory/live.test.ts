import fs from 'node:fs';
import path from 'node:path';
import mqtt, {type MqttClient} from 'mqtt';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import {startAedes, type TestBroker} from '../helpers/aedes.js';
import {testConfig} from '../helpers/config.js';
import {deviceTopics} from '../helpers/homie-publisher.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';

let dir: string;
let cleanup: () => void;
let broker: TestBroker;
let engine: Engine | null = null;
let client: MqttClient;

beforeEach(async () => {
  ({dir, cleanup} = tempDir());
  broker = await startAedes();
  client = await mqtt.connectAsync(broker.url, {clientId: 'test-devices'});
});
afterEach(async () => {
  await client.endAsync();
  await engine?.stop();
  engine = null;
  await broker.close();
  cleanup();
});

async function publish(topics: Array<[string, string | Buffer]>, retain = true): Promise<void> {
  for (const [topic, payload] of topics) await client.publishAsync(topic, payload, {qos: 1, retain});
}

async function start(overrides: Parameters<typeof testConfig>[1] = {}): Promise<Engine> {
  engine = createEngine(testConfig(dir, {mqtt: broker.url, ...overrides}));
  await engine.start();
  await waitFor(() => engine!.inventory.discoveryStatus.phase === 'complete', 'discovery to complete');
  return engine;
}

const api = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${engine!.http.boundPort}${path}`, init);

/** Every retained topic the broker holds under `filter` (an UNSUBSCRIBE acts as the barrier). */
async function retainedUnder(filter: string): Promise<string[]> {
  const reader = await mqtt.connectAsync(broker.url);
  const seen: string[] = [];
  reader.on('message', (topic, payload, packet) => {
    if (packet.retain && payload.length > 0) seen.push(topic);
  });
  await reader.subscribeAsync(filter);
  await new Promise(resolve => setTimeout(resolve, 150));
  await reader.endAsync();
  return seen;
}

describe('live inventory over MQTT (aedes)', () => {
  it('finds every Homie generation under several prefixes, including multi-level ones and Homie 5 domains', async () => {
    await publish([
      ...deviceTopics('v1', 'devices', 'old1'), ...deviceTopics('v2', 'homie', 'two'), ...deviceTopics('v3', 'homie', 'three'),
      ...deviceTopics('v4', 'homie', 'four'), ...deviceTopics('v5', 'homie', 'five'), ...deviceTopics('v3', 'home/homie', 'deep'),
      ...deviceTopics('v3', 'devices', 'three'),
    ]);
    await start({prefix: 'homie,devices,home/homie'});
    const list = (await (await api('/api/devices')).json()) as Array<{key: string; homie: string; state: string}>;
    expect(list.map(r => [r.key, r.homie, r.state]).sort()).toEqual([
      ['devices/old1', '1.x', 'ready'], ['devices/three', '3.0.1', 'ready'], ['home/homie/deep', '3.0.1', 'ready'],
      ['homie/5/five', '5.0', 'ready'], ['homie/four', '4.0.0', 'ready'], ['homie/three', '3.0.1', 'ready'], ['homie/two', '2.0.0', 'ready'],
    ]);
    for (const [key, generation] of [['homie/three', 'v3'], ['devices/old1', 'v1'], ['homie/5/five', 'v5']] as const) {
      const base = key;
      const expected = deviceTopics(generation, key.split('/')[0]!, key.split('/').at(-1)!).length;
      // aedes sends retained messages after the SUBACK, so "complete" can come a moment early
      await waitFor(() => engine!.inventory.topics(base)?.size === expected, `${key}: ${expected} topics`);
    }
    const detail = (await (await api('/api/devices/homie%2Fthree')).json()) as {nodes: Array<{properties: unknown[]}>};
    expect(detail).toMatchObject({key: 'homie/three', implementation: 'esp8266', otaEnabled: true, ip: expect.stringMatching(/^10\./), signal: 72, uptime: 3600, statsInterval: 65});
    expect(detail.nodes[0]?.properties[0]).toMatchObject({id: 'temperature', value: '21.5', unit: '°C', datatype: 'float'});
    // a bare id that exists under two prefixes is ambiguous; the key form (as path or encoded) is not
    const ambiguous = await api('/api/devices/three');
    expect(ambiguous.status).toBe(409);
    expect(await ambiguous.json()).toMatchObject({keys: ['devices/three', 'homie/three']});
    expect((await api('/api/devices/homie/three')).status).toBe(200);
    expect((await api('/api/devices/two')).status).toBe(200);
    const missing = await api('/api/devices/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({error: expect.stringMatching(/no device nope/)});
    const filtered = (await (await api('/api/devices?filter=homie:3%20-prefix:devices')).json()) as Array<{key: string}>;
    expect(filtered.map(r => r.key).sort()).toEqual(['home/homie/deep', 'homie/three']);
  });

  it('follows live updates: stats, state changes, new devices, Homie 5 removal', async () => {
    await publish(deviceTopics('v3', 'homie', 'a'));
    const e = await start();
    await waitFor(() => e.inventory.topics('homie/a')?.size === deviceTopics('v3', 'homie', 'a').length, 'loaded');
    await publish([['homie/a/$stats/uptime', '7200'], ['homie/a/sensor/temperature', '23.25']], false);
    await waitFor(() => e.inventory.get('homie/a')?.uptime === 7200, 'uptime update');
    expect(e.inventory.get('homie/a')!.lastSeen).toBeGreaterThan(Date.now() - 5000);
    await waitFor(() => e.inventory.detail('homie/a')!.nodes[0]!.properties[0]!.value === '23.25', 'property value update');
    await publish([['homie/a/$state', 'lost']]);
    await waitFor(() => e.inventory.get('homie/a')?.state === 'lost', 'lost');
    await publish(deviceTopics('v5', 'homie', 'newcomer'));
    await waitFor(() => e.inventory.topics('homie/5/newcomer')?.size === 5, 'a device appearing later, with all its topics');
    await publish([['homie/5/newcomer/$state', '']]);
    await waitFor(() => e.inventory.get('homie/5/newcomer') === undefined, 'a Homie 5 device removed by an empty $state');
    // an empty retained message never creates a device
    await publish([['homie/ghost/$state', ''], ['homie/ghost/$homie', '']]);
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(e.inventory.get('homie/ghost')).toBeUndefined();
  });

  it('forgets a device: clears every retained topic ($state first), leaves no ghost, answers JSON and the original text route', async () => {
    await publish([...deviceTopics('v3', 'homie', 'gone'), ['homie/gone/relay/on/set', 'true'], ['homie/gone/$implementation/reset', 'false'],
      ['homie/gone/a/b/c/d', 'deep'], ...deviceTopics('v3', 'homie', 'stays'), ...deviceTopics('v5', 'homie', 'five')]);
    const e = await start();
    const order: string[] = [];
    const watcher = await mqtt.connectAsync(broker.url);
    watcher.on('message', (topic, payload) => payload.length === 0 && order.push(topic));
    await watcher.subscribeAsync('homie/5/five/#');
    const res = await api('/api/devices/homie%2Fgone', {method: 'DELETE'});
    expect(res.status).toBe(200);
    const body = (await res.json()) as {cleared: number};
    expect(body).toMatchObject({key: 'homie/gone', failed: 0, wasOnline: true});
    expect(body.cleared).toBe(deviceTopics('v3', 'homie', 'gone').length + 3);
    expect(await retainedUnder('homie/gone/#')).toEqual([]);
    expect(e.inventory.get('homie/gone')).toBeUndefined();
    await waitFor(() => e.inventory.topics('homie/stays')?.size === deviceTopics('v3', 'homie', 'stays').length, 'the other device intact');
    await new Promise(resolve => setTimeout(resolve, 200));
    expect(e.inventory.get('homie/gone')).toBeUndefined();
    // Homie 5 through the original route: $state is cleared first
    const text = await api('/device/five', {method: 'DELETE'});
    expect(await text.text()).toBe('Deleted topics for five\n');
    await waitFor(() => order.length >= 5, 'clears seen');
    expect(order[0]).toBe('homie/5/five/$state');
    expect(await retainedUnder('homie/5/five/#')).toEqual([]);
    await watcher.endAsync();
    expect((await api('/device/nope', {method: 'DELETE'})).status).toBe(404);
    expect((await api('/api/devices/nope', {method: 'DELETE'})).status).toBe(404);
  });

  it('refuses to forget in read-only mode', async () => {
    await publish(deviceTopics('v3', 'homie', 'keep'));
    const e = await start({readonly: true});
    const res = await api('/api/devices/keep', {method: 'DELETE'});
    expect(res.status).toBe(403);
    expect((await api('/device/keep', {method: 'DELETE'})).status).toBe(403);
    expect(e.inventory.get('homie/keep')).toBeDefined();
    expect(await retainedUnder('homie/keep/#')).toHaveLength(deviceTopics('v3', 'homie', 'keep').length);
  });

  it('marks devices with a newer version of their firmware in the store, following the store live', async () => {
    const fwDir = path.join(dir, 'firmwares');
    fs.mkdirSync(fwDir, {recursive: true});
    fs.writeFileSync(path.join(fwDir, 'fleet-sensor-1.0.0.bin'), buildFirmwareImage({name: 'fleet-sensor', version: '1.0.0'}));
    await publish([...deviceTopics('v3', 'homie', 'old', {version: '1.0.0'}), ...deviceTopics('v3', 'homie', 'other', {fw: 'other', version: '0.1'})]);
    engine = createEngine(testConfig(dir, {mqtt: broker.url}));
    engine.firmware.tune({stableMs: 50, rescanMs: 200});
    await engine.start();
    const e = engine;
    await waitFor(() => e.inventory.get('homie/old')?.fw.version === '1.0.0', 'loaded');
    expect(e.inventory.get('homie/old')).toMatchObject({updateAvailable: false, latest: '1.0.0'});
    fs.writeFileSync(path.join(fwDir, 'fleet-sensor-1.0.10.bin'), buildFirmwareImage({name: 'fleet-sensor', version: '1.0.10'}));
    await waitFor(() => e.inventory.get('homie/old')?.updateAvailable, 'update available after the store changed', 10_000);
    expect(e.inventory.get('homie/old')!.latest).toBe('1.0.10');
    expect(e.inventory.get('homie/other')).toMatchObject({updateAvailable: false});
    const list = (await (await api('/api/devices?filter=update:yes')).json()) as Array<{key: string}>;
    expect(list.map(r => r.key)).toEqual(['homie/old']);
  });

  it('redoes discovery after a reconnect', async () => {
    await publish(deviceTopics('v3', 'homie', 'first'));
    const e = await start();
    const port = broker.port;
    await client.endAsync(true);
    await broker.close();
    await waitFor(() => e.mqttStatus.state !== 'connected', 'disconnect noticed');
    broker = await startAedes(port);
    client = await mqtt.connectAsync(broker.url, {clientId: 'test-devices'});
    await publish(deviceTopics('v3', 'homie', 'second'));
    await waitFor(() => e.inventory.topics('homie/second')?.size === deviceTopics('v3', 'homie', 'second').length, 'device published after the reconnect', 10_000);
    await publish([['homie/first/$state', 'init']]);
    await waitFor(() => e.inventory.get('homie/first')?.state === 'init', 'old device followed after the reconnect');
  });
});
