import {afterEach, describe, expect, it} from 'vitest';
import {startFleet, type Fleet, type SimDevice} from '../../src/sim/index.js';
import {startAedes, type TestBroker} from '../helpers/aedes.js';
import {runMosquittoTests, startMosquitto, type Mosquitto} from '../helpers/mosquitto.js';
import {observe, recordBroker, until, type Seen} from './sim-helpers.js';

/**
 * What each generation publishes on connect, in order, with QoS and RETAIN as published — written
 * out from protocols.md §1.9 (homie-esp8266) and §1.5/§1.6 (Homie 4/5), not from the simulator's
 * tables. `SUB` lines are SUBSCRIBE packets; `*` matches any payload.
 */
type Line = readonly [topic: string, payload: string | RegExp, qos: number, retain: boolean] | readonly ['SUB', string, number];

function expected(generation: string, d: SimDevice): Line[] {
  const r = d.root;
  const hex32 = /^[0-9a-f]{32}$/;
  const json = /^\{.*\}$/;
  switch (generation) {
    case 'v1': return [
      [`${r}/$online`, 'true', 0, true],
      [`${r}/$nodes`, 'light:switch,temperature:temperature', 0, true],
      [`${r}/$name`, d.name, 0, true],
      [`${r}/$localip`, d.identity.ip, 0, true],
      [`${r}/$fwname`, 'relay', 0, true],
      [`${r}/$fwversion`, '1.0.0', 0, true],
      ['SUB', `${r}/+/+/set`, 1],
      ['SUB', `${r}/$reset`, 1],
      ['SUB', `${r}/$ota`, 1],
    ];
    case 'v2': return [
      [`${r}/$homie`, '2.0.0', 1, true],
      [`${r}/$mac`, d.identity.mac, 1, true],
      [`${r}/$name`, d.name, 1, true],
      [`${r}/$localip`, d.identity.ip, 1, true],
      [`${r}/$stats/interval`, '0', 1, true],
      [`${r}/$fw/name`, 'relay', 1, true],
      [`${r}/$fw/version`, '1.0.0', 1, true],
      [`${r}/$fw/checksum`, hex32, 1, true],
      [`${r}/$implementation`, 'esp8266', 1, true],
      [`${r}/$implementation/config`, json, 1, true],
      [`${r}/$implementation/version`, '2.0.0', 1, true],
      [`${r}/$implementation/ota/enabled`, 'true', 1, true],
      [`${r}/light/$type`, 'switch', 1, true],
      [`${r}/light/$properties`, 'on:settable', 1, true],
      [`${r}/temperature/$type`, 'temperature', 1, true],
      [`${r}/temperature/$properties`, 'degrees', 1, true],
      ['SUB', `${r}/$implementation/ota/firmware/+`, 1],
      ['SUB', `${r}/$implementation/reset`, 1],
      ['SUB', `${r}/$implementation/config/set`, 1],
      ['SUB', `${r}/+/+/set`, 2],
      ['SUB', 'homie/$broadcast/+', 2],
      [`${r}/$online`, 'true', 1, true],
    ];
    case 'v2.3': return [
      [`${r}/$homie`, '2.0.1', 1, true],
      [`${r}/$name`, d.name, 1, true],
      [`${r}/$mac`, d.identity.mac, 1, true],
      [`${r}/$localip`, d.identity.ip, 1, true],
      [`${r}/$nodes`, 'light,temperature', 1, true],
      [`${r}/$stats/interval`, '0', 1, true],
      [`${r}/$fw/name`, 'relay', 1, true],
      [`${r}/$fw/version`, '1.0.0', 1, true],
      [`${r}/$fw/checksum`, hex32, 1, true],
      [`${r}/$implementation`, 'esp8266', 1, true],
      [`${r}/$implementation/config`, json, 1, true],
      [`${r}/$implementation/version`, '2.0.0', 1, true],
      [`${r}/$implementation/ota/enabled`, 'true', 1, true],
      [`${r}/light/$type`, 'switch', 1, true],
      [`${r}/light/$properties`, 'on:settable', 1, true],
      [`${r}/temperature/$type`, 'temperature', 1, true],
      [`${r}/temperature/$properties`, 'degrees', 1, true],
      ['SUB', `${r}/$implementation/ota/firmware/+`, 1],
      ['SUB', `${r}/$implementation/reset`, 1],
      ['SUB', `${r}/$implementation/config/set`, 1],
      ['SUB', `${r}/+/+/set`, 2],
      ['SUB', 'homie/$broadcast/+', 2],
      [`${r}/$online`, 'true', 1, true],
    ];
    case 'v3': return [
      [`${r}/$state`, 'init', 1, true],
      [`${r}/$homie`, '3.0.1', 1, true],
      [`${r}/$name`, d.name, 1, true],
      [`${r}/$mac`, d.identity.mac, 1, true],
      [`${r}/$localip`, d.identity.ip, 1, true],
      [`${r}/$nodes`, 'light,temperature', 1, true],
      [`${r}/$stats`, 'uptime', 1, true],
      [`${r}/$stats/interval`, '65', 1, true],
      [`${r}/$fw/name`, 'relay', 1, true],
      [`${r}/$fw/version`, '1.0.0', 1, true],
      [`${r}/$fw/checksum`, hex32, 1, true],
      [`${r}/$implementation`, 'esp8266', 1, true],
      [`${r}/$implementation/config`, json, 1, true],
      [`${r}/$implementation/version`, '3.0.0', 1, true],
      [`${r}/$implementation/ota/enabled`, 'true', 1, true],
      [`${r}/light/$name`, 'Light', 1, true],
      [`${r}/light/$type`, 'switch', 1, true],
      [`${r}/light/$properties`, 'on', 1, true],
      [`${r}/light/on/$name`, 'On', 1, true],
      [`${r}/light/on/$settable`, 'true', 1, true],
      [`${r}/light/on/$datatype`, 'boolean', 1, true],
      [`${r}/temperature/$name`, 'Temperature', 1, true],
      [`${r}/temperature/$type`, 'temperature', 1, true],
      [`${r}/temperature/$properties`, 'degrees', 1, true],
      [`${r}/temperature/degrees/$name`, 'Degrees', 1, true],
      [`${r}/temperature/degrees/$datatype`, 'float', 1, true],
      [`${r}/temperature/degrees/$unit`, '°C', 1, true],
      ['SUB', `${r}/$implementation/ota/firmware/+`, 1],
      ['SUB', `${r}/$implementation/reset`, 1],
      ['SUB', `${r}/$implementation/config/set`, 1],
      ['SUB', `${r}/+/+/set`, 2],
      ['SUB', 'homie/$broadcast/+', 2],
      [`${r}/$state`, 'ready', 1, true],
    ];
    case 'homie4': return [
      [`${r}/$state`, 'init', 1, true],
      [`${r}/$homie`, '4.0.0', 1, true],
      [`${r}/$name`, d.name, 1, true],
      [`${r}/$extensions`, 'org.homie.legacy-firmware:0.1.1:[4.x],org.homie.legacy-stats:0.1.1:[4.x]', 1, true],
      [`${r}/$localip`, d.identity.ip, 1, true],
      [`${r}/$mac`, d.identity.mac, 1, true],
      [`${r}/$fw/name`, 'relay', 1, true],
      [`${r}/$fw/version`, '1.0.0', 1, true],
      [`${r}/$nodes`, 'light,temperature', 1, true],
      [`${r}/light/$name`, 'Light', 1, true],
      [`${r}/light/$type`, 'switch', 1, true],
      [`${r}/light/$properties`, 'on', 1, true],
      [`${r}/light/on/$name`, 'On', 1, true],
      [`${r}/light/on/$datatype`, 'boolean', 1, true],
      [`${r}/light/on/$settable`, 'true', 1, true],
      [`${r}/temperature/$name`, 'Temperature', 1, true],
      [`${r}/temperature/$type`, 'temperature', 1, true],
      [`${r}/temperature/$properties`, 'degrees', 1, true],
      [`${r}/temperature/degrees/$name`, 'Degrees', 1, true],
      [`${r}/temperature/degrees/$datatype`, 'float', 1, true],
      [`${r}/temperature/degrees/$unit`, '°C', 1, true],
      [`${r}/$stats/interval`, '60', 1, true],
      [`${r}/light/on`, 'false', 1, true],
      [`${r}/temperature/degrees`, /^\d+\.\d\d$/, 1, true],
      ['SUB', `${r}/+/+/set`, 1],
      ['SUB', 'homie/$broadcast/#', 1],
      [`${r}/$state`, 'ready', 1, true],
    ];
    case 'homie5': return [
      [`${r}/$state`, 'init', 2, true],
      [`${r}/$description`, /^\{"homie":"5\.0","version":1,.*"nodes":\{.*\}\}$/, 2, true],
      [`${r}/light/on`, 'false', 2, true],
      [`${r}/temperature/degrees`, /^\d+\.\d\d$/, 2, true],
      ['SUB', `${r}/+/+/set`, 2],
      ['SUB', 'homie/5/$broadcast/#', 2],
      [`${r}/$state`, 'ready', 2, true],
    ];
    default: throw new Error(generation);
  }
}

function check(lines: readonly Line[], seen: readonly Seen[], withSubscriptions: boolean): void {
  const wanted = withSubscriptions ? lines : lines.filter(l => l[0] !== 'SUB');
  const got = seen.slice(0, wanted.length);
  expect(got.length, `only ${got.length} packets seen`).toBe(wanted.length);
  wanted.forEach((line, i) => {
    const s = got[i]!;
    if (line[0] === 'SUB') {
      expect(`SUB ${s.topic} q${s.qos}`, `packet ${i}`).toBe(`SUB ${line[1]} q${line[2]}`);
      return;
    }
    const [topic, payload, qos, retain] = line;
    expect(`${s.kind} ${s.topic} q${s.qos} ${s.retain ? 'retained' : 'not retained'}`, `packet ${i}`).toBe(`pub ${topic} q${qos} ${retain ? 'retained' : 'not retained'}`);
    if (typeof payload === 'string') expect(s.payload, `payload of ${topic}`).toBe(payload);
    else expect(s.payload, `payload of ${topic}`).toMatch(payload);
  });
}

const GENERATIONS = ['v1', 'v2', 'v2.3', 'v3', 'homie4', 'homie5'] as const;
const wills: Record<string, readonly [string, string, number]> = {
  v1: ['$online', 'false', 2], v2: ['$online', 'false', 1], 'v2.3': ['$online', 'false', 1],
  v3: ['$state', 'lost', 1], homie4: ['$state', 'lost', 1], homie5: ['$state', 'lost', 2],
};

describe('advertisement per generation (aedes, as the broker receives it)', () => {
  let broker: TestBroker;
  let fleet: Fleet | null = null;
  afterEach(async () => {
    await fleet?.stop();
    fleet = null;
    await broker?.close();
  });

  for (const generation of GENERATIONS) {
    it(`${generation}: order, QoS and retain flags, then stats, then the will on a drop`, async () => {
      broker = await startAedes();
      const seen = recordBroker(broker.aedes);
      fleet = startFleet({url: broker.url, specs: [{id: 'dev-a', generation, fw: 'relay@1.0.0', name: 'Kitchen'}]});
      const device = fleet.devices[0]!;
      await fleet.waitAllAdvertised(5000);
      const client = `Homie-dev-a`;
      const mine = () => seen.filter(s => s.client === client);
      const lines = expected(generation, device);
      await until(() => mine().length >= lines.length, 'the whole advertisement');
      check(lines, mine(), true);

      // after ready: the sketch's values (homie-esp8266) and the first stats report
      const r = device.root;
      const after: Record<string, readonly string[]> = {
        v1: [`${r}/light/on`, `${r}/temperature/degrees`, `${r}/$signal`, `${r}/$uptime`],
        v2: [`${r}/light/on`, `${r}/temperature/degrees`, `${r}/$stats/signal`, `${r}/$stats/uptime`],
        'v2.3': [`${r}/light/on`, `${r}/temperature/degrees`, `${r}/$stats/signal`, `${r}/$stats/uptime`],
        v3: [`${r}/light/on`, `${r}/temperature/degrees`, `${r}/$stats/interval`, `${r}/$stats/signal`, `${r}/$stats/uptime`],
        homie4: [`${r}/$stats/uptime`, `${r}/$stats/signal`],
        homie5: [],
      };
      await until(() => mine().length >= lines.length + after[generation]!.length, 'values and stats');
      expect(mine().slice(lines.length).map(s => s.topic)).toEqual(after[generation]);
      if (generation === 'v3') expect(mine().find(s => s.topic === `${r}/$stats/interval` && mine().indexOf(s) > lines.length)?.payload).toBe('65');

      // the broker publishes the will when the device drops without DISCONNECT
      const [willAttr, willPayload, willQos] = wills[generation]!;
      const watcher = await observe(broker.url, [`${r}/${willAttr}`]);
      try {
        device.reboot();
        const will = await until(() => watcher.messages.find(m => m.payload === willPayload), `${willAttr}=${willPayload} from the will`);
        expect(will.qos).toBe(Math.min(willQos, 2));
      } finally {
        await watcher.close();
      }
    });
  }
});

describe.runIf(runMosquittoTests)('advertisement per generation (mosquitto, retain-as-published observer)', () => {
  let mosquitto: Mosquitto;
  let fleet: Fleet | null = null;
  afterEach(async () => {
    await fleet?.stop();
    fleet = null;
    await mosquitto?.stop();
  });

  it('every generation publishes the same stream through a stock mosquitto', async () => {
    mosquitto = await startMosquitto();
    const watcher = await observe(mosquitto.url, ['homie/#', 'devices/#'], {v5: true});
    fleet = startFleet({url: mosquitto.url, specs: GENERATIONS.map((generation, i) => ({id: `dev-${i}`, generation, fw: 'relay@1.0.0', name: 'Kitchen'}))});
    await fleet.waitAllAdvertised(5000);
    for (const device of fleet.devices) {
      const lines = expected(device.generation, device);
      const prefix = `${device.root}/`;
      const mine = () => watcher.messages.filter(m => m.topic.startsWith(prefix) && !m.topic.endsWith('/set')).map(m => ({kind: 'pub' as const, client: '', ...m}));
      await until(() => mine().length >= lines.filter(l => l[0] !== 'SUB').length, `the advertisement of ${device.generation}`);
      check(lines, mine(), false);
    }
    // subscriptions are in place: a /set reaches every device and is echoed
    for (const device of fleet.devices) {
      await watcher.client.publishAsync(`${device.root}/light/on/set`, 'true', {qos: 1});
      await until(() => device.value('light', 'on') === 'true', `${device.generation} took the /set`);
    }
    const willWatch = watcher.messages.length;
    await fleet.stop();
    fleet = null;
    await until(() => watcher.messages.slice(willWatch).filter(m => m.payload === 'lost' || (m.payload === 'false' && m.topic.endsWith('$online'))).length === GENERATIONS.length, 'every will');
    await watcher.close();
  });
});
