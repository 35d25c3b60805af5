import net from 'node:net';
import mqtt from 'mqtt';
import {afterEach, describe, expect, it} from 'vitest';
import type {Engine, EngineOptions} from '../../src/engine/engine.js';
import {engineFixture} from '../helpers/engine-fixture.js';
import {waitFor} from '../helpers/wait-for.js';

const world = engineFixture();
const clients: mqtt.MqttClient[] = [];
const sockets: net.Socket[] = [];
// runs before the fixture's teardown (hooks run in reverse order)
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(clients.splice(0).map(c => c.endAsync(true)));
});

async function startWith(ini: string[], options: EngineOptions = {}): Promise<Engine> {
  const {engine} = await world.start({ini, overrides: {config: 'homie-ota.ini'}, options});
  await waitFor(() => engine.mqttStatus.state === 'connected', 'homie-ota connected to its own broker');
  return engine;
}

/** The CONNACK return code a client gets, or 0 when it is let in. */
async function connackCode(port: number, options: mqtt.IClientOptions): Promise<number> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {...options, reconnectPeriod: 0, connectTimeout: 5000});
  clients.push(client);
  return new Promise(resolve => {
    client.once('connect', () => resolve(0));
    client.once('error', error => resolve((error as mqtt.ErrorWithReasonCode).code ?? -1));
  });
}

describe('the embedded broker with MQTT_USERNAME and MQTT_PASSWORD', () => {
  it('lets in only clients with that account, homie-ota included, and logs the refusals without the password', async () => {
    const e = await startWith(['[mqtt]', 'MQTT_USERNAME = house', 'MQTT_PASSWORD = n0t-in-the-log']);
    const port = e.broker!.boundPort;
    expect(await connackCode(port, {clientId: 'anonymous'})).toBe(4);
    expect(await connackCode(port, {clientId: 'wrong', username: 'house', password: 'guess'})).toBe(4);
    expect(await connackCode(port, {clientId: 'other-user', username: 'guest', password: 'n0t-in-the-log'})).toBe(4);

    // a device with the account is seen by homie-ota (which logged in with it too)
    expect(await connackCode(port, {clientId: 'sensor-1', username: 'house', password: 'n0t-in-the-log'})).toBe(0);
    const device = clients.at(-1)!;
    await device.publishAsync('homie/sensor-1/$homie', '3.0.1', {retain: true, qos: 1});
    await device.publishAsync('homie/sensor-1/$state', 'ready', {retain: true, qos: 1});
    await waitFor(() => e.inventory.get('homie/sensor-1')?.state === 'ready', 'the device in the inventory');

    expect(e.health()).toMatchObject({broker: {embedded: true, login: true}});
    const logged = e.logger.recent().map(entry => entry.message).join('\n');
    expect(logged).toMatch(/refused a client that logged in as "guest" from .*wrong user name or password/);
    expect(logged).not.toContain('n0t-in-the-log');
    expect(logged).not.toContain('guess');
  });

  it('without an account lets anyone on the network in (the default, as with a stock broker)', async () => {
    const e = await startWith(['[global]', 'DEBUG = false']);
    expect(await connackCode(e.broker!.boundPort, {clientId: 'anyone'})).toBe(0);
    expect(e.health()).toMatchObject({broker: {embedded: true, login: false}});
  });
});

describe('the embedded broker and a subscriber that stops reading', () => {
  it('cuts it off after the drain time-out and delivers to everyone else again', async () => {
    // 120 s as shipped (the time a slow device may take to read a big firmware push); 5 s here
    const e = await startWith(['[global]', 'DEBUG = false'], {brokerDrainTimeoutMs: 5000});
    const port = e.broker!.boundPort;
    // a raw client: CONNECT, SUBSCRIBE to #, then never read another byte
    const frozen = net.connect(port, '127.0.0.1');
    sockets.push(frozen);
    await new Promise(resolve => frozen.once('connect', resolve));
    const id = Buffer.from('frozen');
    frozen.write(Buffer.concat([Buffer.from([0x10, 12 + id.length, 0, 4]), Buffer.from('MQTT'), Buffer.from([4, 2, 0, 60, 0, id.length]), id]));
    const topic = Buffer.from('#');
    frozen.write(Buffer.concat([Buffer.from([0x82, 5 + topic.length, 0, 1, 0, topic.length]), topic, Buffer.from([0])]));
    await new Promise(resolve => setTimeout(resolve, 200));
    frozen.pause();

    // a device floods the broker with enough to fill the frozen client's socket buffers many times over
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {clientId: 'flood'});
    clients.push(device);
    const big = Buffer.alloc(64 * 1024, 0x41);
    const floodStarted = Date.now();
    for (let i = 0; i < 300; i++) device.publish(`homie/flood/node/p${i % 10}`, big, {qos: 0});
    // and after the flood, a device that homie-ota must still see
    await device.publishAsync('homie/late/$homie', '3.0.1', {retain: true, qos: 1});
    await device.publishAsync('homie/late/$state', 'ready', {retain: true, qos: 1});
    await waitFor(() => e.inventory.get('homie/late')?.state === 'ready', 'homie-ota still sees new devices', 20_000);
    const took = Date.now() - floodStarted;
    // held up while the frozen client was waited for, then cut: neither delivered past it nor stuck
    expect(took).toBeGreaterThan(4000);
    expect(took).toBeLessThan(20_000);
    await waitFor(() => e.logger.recent().some(entry => /cut off client frozen .*stopped reading for 5 s/.test(entry.message)), 'the cut-off in the log');
  }, 40_000);
});
