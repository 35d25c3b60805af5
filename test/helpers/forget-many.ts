import mqtt from 'mqtt';
import {expect} from 'vitest';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import {testConfig} from './config.js';
import {deviceTopics, RawPublisher} from './homie-publisher.js';
import {waitFor} from './wait-for.js';

/**
 * Forgetting a device that holds far more retained topics than a device should (a flood under its
 * base topic): every one must be cleared, and the HTTP DELETE must answer in bounded time. MQTT
 * message ids are 16 bits, so more than 65,535 QoS 1 clears in flight at once used to collide and the
 * DELETE never answered.
 */
export interface ForgetManyResult {
  /** how long the DELETE took to answer */
  readonly answerMs: number;
  readonly status: number;
  /** how long until the log said the device was forgotten */
  readonly doneMs: number;
  readonly cleared: number;
  readonly left: number;
}

/** Retained topics the broker still holds under `filter` (QoS 0; an UNSUBSCRIBE is the barrier). */
export async function countRetained(url: string, filter: string): Promise<number> {
  const reader = await mqtt.connectAsync(url, {clientId: `count-${process.pid}-${Math.random().toString(16).slice(2, 8)}`});
  let seen = 0;
  let last = performance.now();
  reader.on('message', (_topic, payload, packet) => {
    last = performance.now();
    if (packet.retain && payload.length > 0) seen++;
  });
  await reader.subscribeAsync(filter, {qos: 0});
  await reader.unsubscribeAsync('barrier/none');
  // aedes replays after answering: wait until the replay has been quiet for a second
  while (performance.now() - last < 1000) await new Promise(resolve => setTimeout(resolve, 100));
  await reader.endAsync();
  return seen;
}

export async function forgetMany(dir: string, brokerUrl: string, brokerPort: number, topics: number, answerWithinMs: number): Promise<ForgetManyResult & {engine: Engine}> {
  const publisher = await RawPublisher.connect(brokerPort);
  for (const [topic, payload] of [...deviceTopics('v3', 'homie', 'huge'), ...deviceTopics('v3', 'homie', 'other')]) await publisher.publish(topic, payload);
  for (let i = 0; i < topics; i++) {
    const pending = publisher.publish(`homie/huge/n${i % 1000}/p${Math.floor(i / 1000)}`, `v${i}`);
    if (pending) await pending;
  }
  await publisher.close();

  const engine = createEngine(testConfig(dir, {mqtt: brokerUrl}));
  await engine.start();
  await waitFor(() => engine.inventory.discoveryStatus.phase === 'complete' && engine.inventory.get('homie/huge') && engine.inventory.get('homie/other'), 'inventory loaded', 60_000);
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${engine.http.boundPort}/api/devices/homie%2Fhuge`, {method: 'DELETE', signal: AbortSignal.timeout(answerWithinMs + 5000)});
  const answerMs = performance.now() - started;
  const body = (await res.json()) as {cleared?: number; done?: boolean; found?: number};
  if (res.status === 202) {
    // still running: asking again tells how far it is, through both routes
    expect(body).toMatchObject({key: 'homie/huge', done: false, cleared: expect.any(Number), found: expect.any(Number)});
    const again = await fetch(`http://127.0.0.1:${engine.http.boundPort}/device/huge`, {method: 'DELETE'});
    expect(again.status).toBe(202);
    expect(await again.text()).toMatch(/^forgetting homie\/huge: \d+ of the \d+ retained topics found so far are cleared; it goes on in the background/);
  }
  const done = await waitFor(() => engine.logger.recent().find(e => e.message.startsWith('forgot homie/huge')), 'the forget to finish', 240_000, 100);
  const doneMs = performance.now() - started;
  const cleared = Number(/cleared (\d+) retained/.exec(done.message)?.[1] ?? -1);
  expect(engine.logger.recent().filter(e => /Protocol error|could not be cleared/.test(e.message)).map(e => e.message)).toEqual([]);
  const left = await countRetained(brokerUrl, 'homie/huge/#');
  expect(body).toBeTypeOf('object');
  return {engine, answerMs, status: res.status, doneMs, cleared, left};
}
