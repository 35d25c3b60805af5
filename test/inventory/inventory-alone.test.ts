import mqtt from 'mqtt';
import {afterEach, describe, expect, it} from 'vitest';
import {Inventory} from '../../src/engine/inventory/inventory.js';
import {Logger} from '../../src/engine/log.js';
import {MqttConnection} from '../../src/engine/mqtt/connection.js';
import {startAedes} from '../helpers/aedes.js';
import {testConfig} from '../helpers/config.js';
import {deviceTopics} from '../helpers/homie-publisher.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';

/**
 * The inventory built from the pieces it is given (a real MQTT connection to aedes, a firmware
 * listing, callbacks), without an engine: it hears only what it is fed, and says so through them.
 */
describe('the inventory on its own', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('subscribes nothing by itself; fed by MQTT it lists devices, marks updates and reports changes', async () => {
    const broker = await startAedes();
    cleanups.push(() => broker.close());
    const {dir, cleanup} = tempDir();
    cleanups.push(cleanup);
    const config = testConfig(dir, {mqtt: broker.url});
    const log = new Logger({debug: false});
    const connection = new MqttConnection(config.mqtt, log.child('mqtt'), Date.now);
    cleanups.push(() => connection.stop());
    const firmware = [{name: 'fleet-sensor', version: '2.0.0'}];
    const changed: string[][] = [];
    const inventory = new Inventory({
      settings: {firmwareRoot: dir, prefixes: ['homie'], readonly: false},
      mqtt: connection,
      firmware: {list: () => firmware},
      log: log.child('inventory'),
      now: Date.now,
      notice: () => {},
      changed: keys => changed.push([...keys]),
      devicesChanged: () => {},
    });
    cleanups.push(() => inventory.stop());

    const publisher = await mqtt.connectAsync(broker.url);
    cleanups.push(() => publisher.endAsync());
    for (const [topic, payload] of deviceTopics('v3', 'homie', 'kitchen', {fw: 'fleet-sensor', version: '1.0.0'})) {
      await publisher.publishAsync(topic, payload, {qos: 1, retain: true});
    }

    // connected but not handed the connection's events: nothing is subscribed, nothing listed
    await inventory.start();
    connection.start();
    await waitFor(() => connection.connected, 'the connection');
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(inventory.list()).toEqual([]);
    expect(inventory.discoveryStatus.subscribed).toBe(0);

    // fed as the engine feeds it
    connection.onMessage((topic, payload, packet) => inventory.onMessage(topic, payload, packet));
    inventory.connected();
    const kitchen = await waitFor(() => (inventory.get('homie/kitchen')?.fw.version ? inventory.get('homie/kitchen') : undefined), 'kitchen and its firmware in the inventory');
    expect(kitchen.fw).toMatchObject({name: 'fleet-sensor', version: '1.0.0'});
    expect(kitchen.updateAvailable).toBe(true);
    await waitFor(() => changed.some(keys => keys.includes('homie/kitchen') || keys.length === 0), 'a change report');

    // the firmware listing changes: told, the inventory works "update available" out again
    firmware.length = 0;
    inventory.firmwareChanged();
    expect(inventory.get('homie/kitchen')?.updateAvailable).toBe(false);
  });
});
