import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {MqttClient, type ClientOptions, type MessageInfo} from '../../src/engine/mqtt/client.js';
import {MqttConnection} from '../../src/engine/mqtt/connection.js';
import {Logger} from '../../src/engine/log.js';
import {encodePublish, encodePublishHead} from '../../src/mqtt/packets.js';
import {startAedes} from '../helpers/aedes.js';
import {runMosquittoTests, startMosquitto} from '../helpers/mosquitto.js';
import {testConfig} from '../helpers/config.js';
import {TYPE, idOf, startScriptedBroker, type ScriptedBroker} from '../helpers/scripted-broker.js';
import {tempDir} from '../helpers/tmp.js';
import {sleep, waitFor} from '../helpers/wait-for.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scripted(options: Parameters<typeof startScriptedBroker>[0] = {}): Promise<ScriptedBroker> {
  const broker = await startScriptedBroker(options);
  cleanups.push(() => broker.close());
  return broker;
}

/** A started client and what it reported. */
function client(port: number, options: Partial<ClientOptions> = {}) {
  const seen = {connects: 0, closes: 0, reconnects: 0, errors: [] as Array<Error & {code?: string | number}>, messages: [] as Array<{topic: string; payload: string} & MessageInfo>, connectedAt: 0};
  const mqtt = new MqttClient({
    socket: () => net.createConnection({host: '127.0.0.1', port}), clientId: 'client-test', clean: true, keepalive: 30, reconnectMs: 100, ...options,
  }, {
    connect: () => {
      seen.connects++;
      seen.connectedAt = performance.now();
    },
    close: () => seen.closes++,
    reconnect: () => seen.reconnects++,
    error: error => seen.errors.push(error),
    message: (topic, payload, {retain, qos, dup}) => seen.messages.push({topic, payload: payload.toString(), retain, qos, dup}),
    data: () => {},
  });
  cleanups.push(() => mqtt.end(100));
  mqtt.start();
  return {mqtt, seen};
}

const typesOf = (broker: ScriptedBroker, connection = 0) => broker.connections[connection]!.received.map(p => p.first >> 4);
const settled = async <T>(promise: Promise<T>): Promise<{value: T} | 'pending'> => Promise.race([promise.then(value => ({value})), sleep(150).then(() => 'pending' as const)]);

describe('the MQTT client against a scripted broker', () => {
  it('a QoS 1 publish is sent only once its PUBACK comes; one waiting when the connection ends is unconfirmed; nothing is written while away', async () => {
    const broker = await scripted({reply: packet => (packet.first >> 4 === TYPE.publish || packet.first >> 4 === TYPE.subscribe ? 'ignore' : 'answer')});
    const {mqtt, seen} = client(broker.port);
    await waitFor(() => mqtt.connected, 'connected');
    const first = mqtt.publish('homie-ota/x', 'one', {qos: 1, retain: false});
    await waitFor(() => typesOf(broker).includes(TYPE.publish), 'the PUBLISH at the broker');
    expect(await settled(first)).toBe('pending');
    const published = broker.connections[0]!.received.find(p => p.first >> 4 === TYPE.publish)!;
    expect(published.first & 0x06).toBe(0x02); // QoS 1
    broker.connections[0]!.socket.write(Buffer.from([0x40, 2, ...published.body.subarray(13, 15)]));
    expect(await first).toBe('sent');

    const second = mqtt.publish('homie-ota/x', 'two', {qos: 1, retain: false});
    const subscription = mqtt.subscribe([['homie/#', 0]]);
    await waitFor(() => typesOf(broker).filter(t => t === TYPE.publish).length === 2 && typesOf(broker).includes(TYPE.subscribe), 'both at the broker');
    broker.connections[0]!.socket.destroy();
    expect(await second).toBe('unconfirmed');
    expect(await subscription).toBeNull();
    expect(mqtt.pending).toBe(0);
    expect(mqtt.connected).toBe(false);
    expect(await mqtt.publish('homie-ota/x', 'three', {qos: 0, retain: false})).toBe('not sent');
    expect(await mqtt.unsubscribe(['homie/#'])).toBe(false);
    // and it comes back by itself
    await waitFor(() => seen.connects === 2, 'reconnected');
    expect(seen.reconnects).toBe(1);
  });

  it('never hands out a message id still waiting for its answer, and wraps after 65,535', async () => {
    // the broker never answers the first UNSUBSCRIBE (id 1)
    const broker = await scripted({reply: packet => (packet.first >> 4 === TYPE.unsubscribe && idOf(packet.body) === 1 ? 'ignore' : 'answer')});
    const {mqtt} = client(broker.port);
    await waitFor(() => mqtt.connected, 'connected');
    const stuck = mqtt.unsubscribe(['stuck']);
    for (let batch = 0; batch < 14; batch++) {
      const batch = Array.from({length: 5000}, () => mqtt.unsubscribe(['a']));
      expect(await Promise.all(batch)).toEqual(batch.map(() => true));
    }
    const ids = broker.connections[0]!.received.filter(p => p.first >> 4 === TYPE.unsubscribe).map(p => idOf(p.body));
    expect(ids).toHaveLength(1 + 14 * 5000);
    expect(ids.filter(id => id === 1)).toHaveLength(1);
    expect(Math.max(...ids)).toBe(65_535);
    expect(ids[65_535]).toBe(2); // after 65,535 the next free one, 1 being taken
    expect(await settled(stuck)).toBe('pending');
  });

  it('drops a broker that answers CONNACK and then goes silent within 1.5 × keepalive, and reconnects', async () => {
    const broker = await scripted({reply: packet => (packet.first >> 4 === TYPE.pingreq ? 'ignore' : 'answer')});
    const {mqtt, seen} = client(broker.port, {keepalive: 1});
    await waitFor(() => mqtt.connected, 'connected');
    const connectedAt = seen.connectedAt;
    await waitFor(() => broker.connections[0]!.closedAt, 'the silent connection dropped', 3000);
    const after = broker.connections[0]!.closedAt! - connectedAt;
    expect(after).toBeGreaterThanOrEqual(1000);
    expect(after).toBeLessThan(1500 + 200);
    expect(typesOf(broker)).toEqual([TYPE.connect, TYPE.pingreq]);
    expect(seen.errors.map(e => e.message)).toContainEqual(expect.stringMatching(/no answer to PINGREQ within 0\.5 s: the broker stopped answering/));
    await waitFor(() => seen.connects === 2, 'reconnected');
  });

  it('keeps a broker that answers its PINGREQs', async () => {
    const broker = await scripted();
    const {mqtt, seen} = client(broker.port, {keepalive: 1});
    await waitFor(() => mqtt.connected, 'connected');
    await sleep(3300);
    expect(broker.connections).toHaveLength(1);
    expect(typesOf(broker).filter(t => t === TYPE.pingreq).length).toBeGreaterThanOrEqual(2);
    expect(seen.errors).toEqual([]);
  });

  it('keeps a broker that is busy sending, even while its PINGRESP is late', async () => {
    const broker = await scripted({reply: packet => (packet.first >> 4 === TYPE.pingreq ? 'ignore' : 'answer')});
    const {mqtt, seen} = client(broker.port, {keepalive: 1});
    await waitFor(() => mqtt.connected, 'connected');
    const flow = setInterval(() => broker.connections[0]!.socket.write(encodePublish('homie/a/x', 'retained', 0, true)), 300);
    cleanups.push(() => clearInterval(flow));
    await sleep(3000);
    expect(broker.connections).toHaveLength(1);
    expect(broker.connections[0]!.closedAt).toBeNull();
    expect(seen.messages.length).toBeGreaterThanOrEqual(8);
    expect(seen.errors).toEqual([]);
  });

  it('answers QoS 1 with PUBACK, QoS 2 with PUBREC and PUBCOMP, and delivers a resent QoS 2 message once', async () => {
    const deliveries = Buffer.concat([
      encodePublish('homie/a/x', 'one', 1, false, 5),
      encodePublish('homie/a/y', 'two', 2, true, 6),
      encodePublish('homie/a/y', 'two', 2, true, 6, true),
      Buffer.from([0x62, 2, 0, 6]), // PUBREL 6
    ]);
    const broker = await scripted({reply: packet => (packet.first >> 4 === TYPE.subscribe ? Buffer.concat([Buffer.from([0x90, 3]), packet.body.subarray(0, 2), Buffer.from([2]), deliveries]) : 'answer')});
    const {mqtt, seen} = client(broker.port);
    await waitFor(() => mqtt.connected, 'connected');
    expect(await mqtt.subscribe([['homie/#', 2]])).toEqual([2]);
    await waitFor(() => typesOf(broker).includes(TYPE.pubcomp), 'PUBCOMP');
    expect(broker.connections[0]!.received.slice(2).map(p => [p.first, ...p.body])).toEqual([[0x40, 0, 5], [0x50, 0, 6], [0x50, 0, 6], [0x70, 0, 6]]);
    expect(seen.messages).toEqual([
      {topic: 'homie/a/x', payload: 'one', retain: false, qos: 1, dup: false},
      {topic: 'homie/a/y', payload: 'two', retain: true, qos: 2, dup: false},
    ]);
  });

  it('reports a refused CONNACK with its return code and tries again', async () => {
    const broker = await scripted({connack: 5});
    const {seen} = client(broker.port);
    await waitFor(() => seen.errors.length >= 2, 'two refusals');
    expect(seen.errors[0]).toMatchObject({code: 5, message: 'Connection refused: not authorized'});
    expect(broker.connections.length).toBeGreaterThanOrEqual(2);
    expect(seen.connects).toBe(0);
  });

  it('closes a connection whose CONNACK does not come within the connect timeout, and tries again', async () => {
    const broker = await scripted({reply: () => 'ignore'});
    const {seen} = client(broker.port, {connectTimeoutMs: 300});
    await waitFor(() => broker.connections.length >= 2, 'a second attempt', 3000);
    expect(broker.connections[0]!.closedAt).not.toBeNull();
    expect(seen.errors[0]!.message).toBe('no answer to CONNECT within 0.3 s; trying again');
  });

  it('ends the connection, saying why, when the broker sends a packet over 16 MiB, before it is all there', async () => {
    // a PUBLISH announcing 17 MiB of payload, of which only the head is sent
    const head = encodePublishHead('homie/a/huge', 17 * 1024 * 1024, false);
    const broker = await scripted({reply: packet => (packet.first >> 4 === TYPE.subscribe ? head : 'answer')});
    const {mqtt, seen} = client(broker.port);
    await waitFor(() => mqtt.connected, 'connected');
    void mqtt.subscribe([['homie/#', 0]]);
    await waitFor(() => broker.connections[0]!.closedAt, 'the connection ended by the client');
    expect(seen.errors.map(e => e.message)).toEqual(['the broker sent a packet of 17,825,806 bytes, over the limit of 16,842,819; closing the connection']);
    await waitFor(() => seen.connects === 2, 'reconnected');
  });
});

describe('the MQTT connection', () => {
  it('connects with a clean session, a 30 s keepalive and its will; stop() publishes offline, then DISCONNECT', async () => {
    const broker = await scripted();
    const {dir, cleanup} = tempDir();
    cleanups.push(cleanup);
    const connection = new MqttConnection(testConfig(dir, {mqtt: broker.url}).mqtt, new Logger({debug: false}).child('mqtt'));
    cleanups.push(() => connection.stop());
    connection.start();
    await waitFor(() => connection.status.state === 'connected', 'connected');
    const connect = broker.connections[0]!.received[0]!;
    expect(connect.body.subarray(0, 10)).toEqual(Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02 | 0x04 | 0x08 | 0x20, 0, 30]));
    expect(connect.body.includes('homie-ota/status')).toBe(true);
    await connection.stop();
    const received = broker.connections[0]!.received;
    const offline = received.at(-2)!;
    expect(offline.first).toBe(0x33); // QoS 1, retained
    expect(offline.body.toString('latin1')).toMatch(/^\0\u0010homie-ota\/status\0.offline$/s);
    expect(received.at(-1)!.first).toBe(0xe0);
    expect(connection.status.state).toBe('closed');
  });

  it('gives handlers retain, qos and dup, with the payload intact', async () => {
    const broker = await startAedes();
    cleanups.push(() => broker.close());
    const {dir, cleanup} = tempDir();
    cleanups.push(cleanup);
    const connection = new MqttConnection(testConfig(dir, {mqtt: broker.url}).mqtt, new Logger({debug: false}).child('mqtt'));
    cleanups.push(() => connection.stop());
    const got: Array<[string, string, MessageInfo]> = [];
    connection.onMessage((topic, payload, info) => got.push([topic, payload.toString(), {retain: info.retain, qos: info.qos, dup: info.dup}]));
    connection.start();
    await waitFor(() => connection.connected, 'connected');
    expect(await connection.publish('homie/a/$state', 'ready', {qos: 1, retain: true})).toBe(true);
    expect(await connection.subscribe({'homie/#': {qos: 1}})).toBe(true);
    expect(await connection.publish('homie/a/live', 'x'.repeat(70_000), {qos: 0, retain: false})).toBe(true);
    await waitFor(() => got.length === 2, 'both messages');
    expect(got[0]).toEqual(['homie/a/$state', 'ready', {retain: true, qos: 1, dup: false}]);
    expect(got[1]).toEqual(['homie/a/live', 'x'.repeat(70_000), {retain: false, qos: 0, dup: false}]);
    expect(await connection.unsubscribe(['homie/#'])).toBe(true);
  });
});

describe.runIf(runMosquittoTests)('the MQTT connection against mosquitto with a password file', () => {
  it('is refused with a wrong password, says which keys to check, keeps trying, and logs in with the right one', async () => {
    // the password file must be readable by the user mosquitto drops to when started as root
    const {dir, cleanup} = tempDir('homie-ota-mqtt-auth-');
    cleanups.push(cleanup);
    fs.chmodSync(dir, 0o755);
    const passwords = path.join(dir, 'passwords');
    fs.writeFileSync(passwords, '');
    execFileSync('mosquitto_passwd', ['-b', passwords, 'homie-ota', 'broker-s3cret']);
    fs.chmodSync(passwords, 0o644);
    const broker = await startMosquitto({extraConfig: ['allow_anonymous false', `password_file ${passwords}`]});
    cleanups.push(() => broker.stop());
    const connect = (password: string) => {
      const settings = {...testConfig(dir, {mqtt: broker.url}).mqtt, username: 'homie-ota', password};
      const connection = new MqttConnection(settings, new Logger({debug: false}).child('mqtt'), Date.now, {reconnectMs: 100});
      cleanups.push(() => connection.stop());
      const states: string[] = [];
      connection.onStatus(status => states.push(status.state));
      connection.start();
      return {connection, states};
    };
    const wrong = connect('wrong');
    await waitFor(() => wrong.states.filter(state => state === 'reconnecting').length >= 2, 'refused, and tried again twice');
    // mosquitto answers a wrong password with CONNACK 5 (not authorized)
    expect(wrong.connection.status).toMatchObject({state: 'reconnecting', connects: 0, lastError: 'not authorized by the broker; check MQTT_USERNAME / MQTT_PASSWORD'});
    await wrong.connection.stop();

    const right = connect('broker-s3cret');
    await waitFor(() => right.connection.connected, 'logged in');
    expect(right.connection.status).toMatchObject({state: 'connected', connects: 1, lastError: undefined});
  });
});
