import {afterEach, describe, expect, it} from 'vitest';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {startFleet, type Fleet} from '../../src/sim/index.js';
import {startAedes, type TestBroker} from '../helpers/aedes.js';
import {runMosquittoTests, startMosquitto, type Mosquitto} from '../helpers/mosquitto.js';
import {md5, observe, recordBroker, until} from './sim-helpers.js';

/**
 * Multiplexed mode: many devices over a few shared connections. Each device must still publish its
 * whole stream, take OTA pushes and /set, and "lose" its will when it drops (emulated by the pool).
 */
let broker: TestBroker | null = null;
let mosquitto: Mosquitto | null = null;
let fleet: Fleet | null = null;

afterEach(async () => {
  await fleet?.stop();
  fleet = null;
  await broker?.close();
  broker = null;
  await mosquitto?.stop();
  mosquitto = null;
});

describe('multiplexed mode', () => {
  it('30 devices over 2+1 connections: full advertisements, OTA, /set, wills', async () => {
    broker = await startAedes();
    const seen = recordBroker(broker.aedes);
    const clients = new Set<string>();
    broker.aedes.on('client', client => clients.add(client.id));
    fleet = startFleet({url: broker.url, devices: 30, generations: 'v3:2,v2:1', idPrefix: 'mux', mode: 'multiplexed', connections: 2, flashSpeed: 4_000_000, rebootDelay: 150});
    expect(fleet.mode).toBe('multiplexed');
    await fleet.waitAllAdvertised(10_000);
    expect(clients.size).toBe(3);

    // every device published its own whole advertisement: 28 messages (v3) or 17 (v2), the last one ready/online
    for (const d of fleet.devices) {
      const mine = seen.filter(s => s.kind === 'pub' && s.topic.startsWith(`${d.root}/`)).map(s => `${s.topic}=${s.payload}`);
      const count = d.generation === 'v3' ? 28 : 17;
      expect(mine[0]).toBe(d.generation === 'v3' ? `${d.root}/$state=init` : `${d.root}/$homie=2.0.0`);
      expect(mine[count - 1]).toBe(d.generation === 'v3' ? `${d.root}/$state=ready` : `${d.root}/$online=true`);
    }

    const watcher = await observe(broker.url, ['homie/+/$state', 'homie/+/$implementation/ota/status', 'homie/+/light/on'], {qos: 1});
    try {
      const d = fleet.device('mux-0004')!;
      const bin = buildFirmwareImage({name: 'homie-sim', version: '2.0.0', size: 20_000});
      const back = d.waitFor('rebooted');
      await watcher.client.publishAsync(`${d.root}/$implementation/ota/firmware/${md5(bin)}`, bin.toString('base64'), {qos: 1});
      const [info] = await back;
      expect(info.fw.version).toBe('2.0.0');
      const states = () => watcher.messages.filter(m => m.topic === `${d.root}/$state`).map(m => m.payload);
      await until(() => states().length >= 4, 'the states after the reboot');
      expect(states().slice(-3)).toEqual(['lost', 'init', 'ready']); // the pool published the will for it
      // live deliveries only: aedes may replay a retained status late (protocols.md §5.8: ignore retained ones)
      const live = watcher.messages.filter(m => m.topic === `${d.root}/$implementation/ota/status` && !m.retain).map(m => m.payload);
      expect(live.at(-1)).toBe('200');
      // only that device got the firmware and answered
      expect(fleet.devices.filter(x => x.statusLog.length > 0).map(x => x.id)).toEqual(['mux-0004']);

      await watcher.client.publishAsync('homie/mux-0010/light/on/set', 'true', {qos: 1});
      await until(() => fleet!.device('mux-0010')!.value('light', 'on') === 'true', 'the /set');
      expect(fleet.devices.filter(x => x.value('light', 'on') === 'true').map(x => x.id)).toEqual(['mux-0010']);

      const from = watcher.messages.length;
      await fleet.stop();
      fleet = null;
      await until(() => watcher.messages.slice(from).filter(m => m.payload === 'lost').length === 20, 'a will for each v3 device');
    } finally {
      await watcher.close();
    }
  });

  it.runIf(runMosquittoTests)('500 devices over 4 connections to a stock mosquitto, all advertised', async () => {
    mosquitto = await startMosquitto();
    fleet = startFleet({url: mosquitto.url, devices: 500, mode: 'multiplexed', connections: 4, publishRate: 20_000});
    await fleet.waitAllAdvertised(20_000);
    const watcher = await observe(mosquitto.url, ['homie/+/$state'], {qos: 0});
    try {
      await until(() => new Set(watcher.messages.filter(m => m.payload === 'ready').map(m => m.topic)).size === 500, 'every retained $state=ready', 10_000);
    } finally {
      await watcher.close();
    }
  });
});
