import {afterEach, describe, expect, it} from 'vitest';
import {startFleet, type Fleet} from '../../src/sim/index.js';
import {runMosquittoTests, startMosquitto, type Mosquitto} from '../helpers/mosquitto.js';
import {observe, until} from './sim-helpers.js';

/** A broker restart: devices notice, back off, reconnect and advertise again (uptime goes on). */
let mosquitto: Mosquitto | null = null;
let fleet: Fleet | null = null;
afterEach(async () => {
  await fleet?.stop();
  fleet = null;
  await mosquitto?.stop();
  mosquitto = null;
});

describe.runIf(runMosquittoTests)('devices across a broker restart', () => {
  for (const mode of ['faithful', 'multiplexed'] as const) {
    it(`${mode}: every device reconnects and advertises again without rebooting`, async () => {
      mosquitto = await startMosquitto();
      fleet = startFleet({url: mosquitto.url, devices: 8, generations: 'v3:3,v2:1', idPrefix: `re-${mode}`, mode});
      await fleet.waitAllAdvertised(5000);
      const uptimeBefore = fleet.devices.map(d => d.uptime);
      await mosquitto.restart(); // persistence is off: the broker forgets every retained message
      await until(() => fleet!.devices.every(d => d.counters.advertised >= 2), 'every device to advertise again', 15_000);
      expect(fleet.devices.every(d => d.counters.connects >= 2)).toBe(true);
      fleet.devices.forEach((d, i) => expect(d.uptime).toBeGreaterThanOrEqual(uptimeBefore[i]!));
      const watcher = await observe(mosquitto.url, ['homie/+/$state', 'homie/+/$online'], {qos: 0});
      try {
        await until(() => new Set(watcher.messages.filter(m => m.payload === 'ready' || m.payload === 'true').map(m => m.topic)).size === 8, 'the retained states again');
      } finally {
        await watcher.close();
      }
    });
  }
});
