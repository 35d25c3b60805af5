import mqtt from 'mqtt';
import {afterEach, describe, expect, it} from 'vitest';
import {Logger} from '../../src/engine/log.js';
import {MqttConnection} from '../../src/engine/mqtt/connection.js';
import {startAedes} from '../helpers/aedes.js';
import {testConfig} from '../helpers/config.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';

/**
 * While attributes load, a pause in incoming data is answered with a PINGREQ (its TCP segment carries
 * the acknowledgement a broker with Nagle's algorithm on waits for); otherwise only keep-alives are sent.
 */
describe('prompt acknowledgements', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('answers a pause in incoming data with a PINGREQ while on, and sends none while off', async () => {
    const broker = await startAedes();
    cleanups.push(() => broker.close());
    const {dir, cleanup} = tempDir();
    cleanups.push(cleanup);
    let pings = 0;
    broker.aedes.on('ping', () => pings++);
    const connection = new MqttConnection(testConfig(dir, {mqtt: broker.url}).mqtt, new Logger({debug: false}).child('mqtt'), Date.now);
    cleanups.push(() => connection.stop());
    connection.start();
    await waitFor(() => connection.connected, 'connected');
    expect(await connection.subscribe({'homie/x/+': {qos: 0}})).toBe(true);
    const publisher = await mqtt.connectAsync(broker.url);
    cleanups.push(() => publisher.endAsync());
    const received: string[] = [];
    connection.onMessage(topic => received.push(topic));

    // off (the default): data comes in, nothing goes back but the keep-alive (30 s away)
    for (let i = 0; i < 5; i++) await publisher.publishAsync('homie/x/a', String(i));
    await waitFor(() => received.length === 5, 'five messages');
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(pings).toBe(0);

    // on: one PINGREQ soon after the data pauses, not one per message
    connection.promptAcks(true);
    for (let i = 0; i < 20; i++) publisher.publish('homie/x/a', String(i));
    await waitFor(() => received.length === 25, 'twenty more');
    await waitFor(() => pings > 0, 'a PINGREQ after the pause', 1000);
    expect(pings).toBeLessThan(20);

    // off again: no more
    connection.promptAcks(false);
    await new Promise(resolve => setTimeout(resolve, 50));
    const before = pings;
    for (let i = 0; i < 5; i++) await publisher.publishAsync('homie/x/a', String(i));
    await waitFor(() => received.length === 30, 'five more');
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(pings).toBe(before);
  });
});
