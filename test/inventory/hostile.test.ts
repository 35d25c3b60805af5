import crypto from 'node:crypto';
import {describe, expect, it} from 'vitest';
import {MAX_TOPICS_PER_DEVICE} from '../../src/engine/inventory/limits.js';
import {engineFixture} from '../helpers/engine-fixture.js';
import {deviceTopics, RawPublisher} from '../helpers/homie-publisher.js';
import {runMosquittoTests} from '../helpers/mosquitto.js';
import {waitFor} from '../helpers/wait-for.js';

const world = engineFixture();

const GOOD = ['good-1', 'good-2', 'good-3'];

/** Everything a broken or hostile publisher might send under the prefix. */
async function publishJunk(publisher: RawPublisher, seed: number): Promise<void> {
  const random = (n: number) => crypto.createHash('sha256').update(`${seed}-${n}`).digest();
  const send = async (topic: string, payload: string | Buffer, retain = true) => {
    await publisher.publish(topic, payload, retain);
  };
  // non-UTF-8 bytes and random bytes into attributes of a real device and of new ones
  await send('homie/good-1/$name', Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x41]));
  for (let i = 0; i < 50; i++) await send(`homie/rnd-${i}/$state`, random(i));
  // a 1 MB payload, retained and live, into a value and a discovery attribute
  await send('homie/good-2/sensor/temperature', Buffer.alloc(1024 * 1024, 0x39));
  await send('homie/huge/$state', Buffer.alloc(1024 * 1024, 0x61));
  await send('homie/huge/$homie', Buffer.alloc(1024 * 1024, 0x62), false);
  // empty retained payloads, for known and unknown devices
  await send('homie/nobody/$state', '');
  await send('homie/nobody/$homie', '');
  // $broadcast, too few and too many levels, empty levels
  await send('homie/$broadcast/alert', 'fire');
  await send('homie/5/$broadcast/x/y', 'fire');
  await send('homie/lonely', 'x');
  await send('homie', 'x');
  await send('homie/deep/$state', 'ready');
  await send('homie/deep/a/b/c/d/e/f/g', 'deep');
  await send('homie/deep//$name', 'empty level');
  // odd ids: unicode, bidi overrides, very long (mosquitto itself refuses control characters in topics);
  // escape sequences in payloads
  await send('homie/küche €/$state', 'ready');
  await send('homie/küche €/$name', '\u001b]0;pwned\u0007\u001b[2J name');
  await send('homie/rtl\u202eevil/$state', 'ready');
  await send(`homie/${'x'.repeat(300)}/$state`, 'ready');
  // a device with far too many topics, absurd $nodes, $properties ranges and a bad $description
  await send('homie/flood/$state', 'ready');
  await send('homie/flood/$nodes', Array.from({length: 5000}, (_, i) => `n${i}`).join(','));
  await send('homie/flood/n0/$properties', 'p[0-100000]:settable');
  for (let i = 0; i < 1000; i++) await send(`homie/flood/node${i}/value`, String(i));
  await send('homie/5/bad5/$state', 'ready');
  await send('homie/5/bad5/$description', '{"homie":"5.0","nodes":{"n":{"properties":' + '['.repeat(5000) + ']'.repeat(5000) + '}}}');
  await send('homie/5/worse5/$state', 'ready');
  await send('homie/5/worse5/$description', Buffer.from([0xff, 0x00, 0x7b]));
  await publisher.flush();
}

describe.runIf(runMosquittoTests)('hostile input under the prefix', () => {
  it('never crashes or stalls, keeps other devices intact, and bounds what it keeps', async () => {
    const broker = await world.mosquitto();
    const publisher = await RawPublisher.connect(broker.port);
    for (const id of GOOD) for (const [topic, payload] of deviceTopics('v3', 'homie', id)) await publisher.publish(topic, payload);
    await publishJunk(publisher, 1);
    const {engine} = await world.start({overrides: {mqtt: broker.url}});
    await waitFor(() => engine.inventory.discoveryStatus.phase === 'complete', 'load', 30_000);
    await publishJunk(publisher, 2); // and again, live
    await publisher.close();
    const e = engine;
    await waitFor(() => e.inventory.topics('homie/flood')?.size === MAX_TOPICS_PER_DEVICE && e.inventory.get('homie/küche €')?.name?.includes('name'), 'live junk handled');

    // the good devices: every topic intact (good-1's name and good-2's temperature were overwritten by junk, as sent)
    for (const id of GOOD) {
      const topics = e.inventory.topics(`homie/${id}`)!;
      for (const [topic, payload] of deviceTopics('v3', 'homie', id)) {
        const path = topic.slice(`homie/${id}/`.length);
        if (id === 'good-1' && path === '$name') expect(topics.get(path)).toBe('\uFFFD(\uFFFD\uFFFDA');
        else if (id === 'good-2' && path === 'sensor/temperature') expect(topics.get(path)!.length).toBeLessThan(1100);
        else expect(topics.get(path), `${id} ${path}`).toBe(payload);
      }
      expect(e.inventory.get(`homie/${id}`)).toMatchObject({state: 'ready', homie: '3.0.1', fw: {name: 'fleet-sensor', version: '1.0.0'}});
    }
    const keys = e.inventory.list().map(r => r.key);
    expect(keys.some(k => k.includes('$broadcast') || k === 'homie/nobody' || k === 'homie/lonely' || k.includes('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'))).toBe(false);
    expect(keys).toContain('homie/küche €');
    expect(keys).toContain('homie/rtl\u202eevil');
    expect(e.inventory.get('homie/huge')).toMatchObject({state: 'unknown'});
    expect(e.inventory.topics('homie/huge')!.get('$state')!.length).toBeLessThan(1100);
    expect(e.inventory.topics('homie/flood')!.size).toBe(MAX_TOPICS_PER_DEVICE);
    const flood = e.inventory.detail('homie/flood')!;
    expect(flood.nodes.length).toBeLessThanOrEqual(64);
    expect(flood.nodes.every(n => n.properties.length <= 64)).toBe(true);
    expect(flood.problems.join()).toMatch(/ignored/);
    expect(e.inventory.detail('homie/5/bad5')!.problems).toEqual([]);
    expect(e.inventory.detail('homie/5/worse5')!.problems[0]).toMatch(/not JSON/);
    expect(e.inventory.topics('homie/deep')!.has('a/b/c/d/e/f/g')).toBe(false);

    // still answering, and the whole list serialises
    const res = await fetch(`http://127.0.0.1:${e.http.boundPort}/api/devices`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as unknown[]).length).toBe(keys.length);
    const one = await fetch(`http://127.0.0.1:${e.http.boundPort}/api/devices/${encodeURIComponent('küche €')}`);
    expect(await one.json()).toMatchObject({id: 'küche €', name: '\u001b]0;pwned\u0007\u001b[2J name'});
    expect(e.mqttStatus.state).toBe('connected');
  });
});

describe('hostile input through a lenient broker (aedes)', () => {
  it('takes control characters in device ids without harm', async () => {
    const aedes = await world.aedes();
    const publisher = await RawPublisher.connect(aedes.port);
    for (const [topic, payload] of deviceTopics('v3', 'homie', 'good')) await publisher.publish(topic, payload);
    await publisher.publish('homie/bell\u0007\u001b[31mred/$state', 'ready');
    await publisher.publish('homie/bell\u0007\u001b[31mred/$name', '\u001b]0;pwned\u0007');
    await publisher.publish('homie/nul\u0001/$homie', '3.0.1');
    await publisher.flush();
    const {engine: e} = await world.start({overrides: {mqtt: aedes.url}});
    await waitFor(() => e.inventory.get('homie/bell\u0007\u001b[31mred')?.name !== undefined, 'odd id loaded');
    expect(e.inventory.get('homie/nul\u0001')).toMatchObject({homie: '3.0.1'});
    // aedes sends a subscription's retained messages after its SUBACK, in no promised order across devices
    await waitFor(() => e.inventory.discoveryStatus.phase === 'complete', 'every attribute loaded');
    expect(e.inventory.topics('homie/good')!.size).toBe(deviceTopics('v3', 'homie', 'good').length);
    await publisher.close();
    const res = await fetch(`http://127.0.0.1:${e.http.boundPort}/api/devices/${encodeURIComponent('bell\u0007\u001b[31mred')}`);
    expect(res.status).toBe(400); // the router refuses control characters in path parameters
  });
});
