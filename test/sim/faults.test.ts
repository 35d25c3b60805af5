import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {startFleet, type DeviceSpec, type Fleet, type FleetOptions, type SimDevice} from '../../src/sim/index.js';
import {startAedes, type TestBroker} from '../helpers/aedes.js';
import {sleep} from '../helpers/wait-for.js';
import {md5, observe, until, type Observed} from './sim-helpers.js';

/** Faults on demand and the device's answers to /set, $broadcast, reset and config changes. */
let broker: TestBroker;
let watcher: {client: import('mqtt').MqttClient; messages: Observed[]; close: () => Promise<void>};
let fleet: Fleet | null = null;
let counter = 0;

beforeAll(async () => {
  broker = await startAedes();
  watcher = await observe(broker.url, ['homie/#'], {qos: 2});
});
afterEach(async () => {
  await fleet?.stop();
  fleet = null;
});
afterAll(async () => {
  await watcher.close();
  await broker.close();
});

async function device(spec: DeviceSpec = {}, options: Partial<FleetOptions> = {}): Promise<SimDevice> {
  fleet = startFleet({url: broker.url, specs: [{id: `fault-${++counter}`, fw: 'relay@1.0.0', ...spec}], flashSpeed: 4_000_000, rebootDelay: 150, ...options});
  await fleet.waitAllAdvertised(5000);
  const d = fleet.devices[0]!;
  // the advertisement, the sketch's values and the first stats have all reached the watcher
  await until(() => seen(d, 0).some(s => s.startsWith('$stats/uptime=')), 'the watcher to see the device');
  return d;
}

/** What the watcher saw of a device, as "attribute=payload", from message index `from`. */
function seen(d: SimDevice, from: number): string[] {
  return watcher.messages.slice(from).filter(m => m.topic.startsWith(`${d.root}/`)).map(m => `${m.topic.slice(d.root.length + 1)}=${m.payload}`);
}

const bin = buildFirmwareImage({name: 'relay', version: '2.0.0', size: 40_000});

async function push(d: SimDevice): Promise<number> {
  const from = watcher.messages.length;
  await watcher.client.publishAsync(`${d.root}/$implementation/ota/firmware/${md5(bin)}`, bin, {qos: 1});
  return from;
}

const statuses = (d: SimDevice, from: number) => watcher.messages.slice(from)
  .filter(m => m.topic === `${d.root}/$implementation/ota/status` && !m.retain).map(m => m.payload);

describe('OTA faults', () => {
  it('flash error at 60 %: progress up to there, then 500 FLASH_ERROR; no reboot', async () => {
    const d = await device({faults: {flashErrorAt: 60}});
    const from = await push(d);
    await until(() => statuses(d, from).includes('500 FLASH_ERROR'), 'the flash error');
    const progress = statuses(d, from).filter(s => s.startsWith('206 ')).map(s => Number(s.slice(4).split('/')[0]) / bin.length);
    // the progress reaches 60 % (to the end of the chunk that crosses it), then the next write fails
    expect(progress.at(-1)!).toBeGreaterThanOrEqual(0.6);
    expect(progress.at(-1)!).toBeLessThan(0.6 + 1460 / bin.length);
    await sleep(300);
    expect(d.state).toBe('ready');
  });

  it('drop at 40 %: the connection is lost (will), no final status, back on the old firmware', async () => {
    const d = await device({faults: {dropAt: 40}});
    const from = await push(d);
    await until(() => seen(d, from).includes('$state=lost'), 'the will');
    const [fw] = await d.waitFor('advertised');
    expect(fw.version).toBe('1.0.0');
    const s = statuses(d, from);
    expect(s[0]).toBe('202');
    expect(s.some(x => /^(200|400|500)/.test(x))).toBe(false);
    expect(Number(s.at(-1)!.slice(4).split('/')[0]) / bin.length).toBeLessThan(0.4);
  });

  it('stall at 30 %: silent but still connected; a power cycle brings it back', async () => {
    const d = await device({faults: {stallAt: 30}});
    const from = await push(d);
    await until(() => d.state === 'stalled', 'the stall');
    const before = d.statusLog.length;
    await until(() => statuses(d, from).length === before, 'the watcher to catch up');
    await sleep(400);
    expect(statuses(d, from)).toHaveLength(before);
    expect(Number(statuses(d, from).at(-1)!.slice(4).split('/')[0]) / bin.length).toBeLessThan(0.3);
    expect(seen(d, from)).not.toContain('$state=lost');
    d.goOnline();
    await d.waitFor('advertised');
    expect(seen(d, from)).toContain('$state=lost');
  });

  it('never back: 200, the will, then nothing', async () => {
    const d = await device({faults: {neverBack: true}});
    const from = await push(d);
    await until(() => seen(d, from).includes('$state=lost'), 'the will');
    await sleep(600);
    expect(d.state).toBe('dead');
    const after = seen(d, from);
    expect(after.slice(after.indexOf('$state=lost'))).toEqual(['$state=lost']);
  });

  it('rollback: 200, then back on the old version (ESP32 silent rollback)', async () => {
    const d = await device({faults: {rollback: true}});
    const from = await push(d);
    const [info] = await d.waitFor('rebooted');
    expect(statuses(d, from).at(-1)).toBe('200');
    expect(info.fw.version).toBe('1.0.0');
  });

  it('rollback after a delay: first the new version, then a reboot back to the old one', async () => {
    const d = await device({faults: {rollback: 0.5}});
    await push(d);
    const [first] = await d.waitFor('rebooted');
    expect(first.fw.version).toBe('2.0.0');
    const [second] = await d.waitFor('rebooted', undefined, 5000);
    expect(second.fw.version).toBe('1.0.0');
    expect(second.reason).toMatch(/rollback/);
  });

  it('a slow link throttles the progress', async () => {
    const d = await device({faults: {slowLink: 100_000}});
    const started = Date.now();
    const from = await push(d);
    await until(() => statuses(d, from).includes('200'), 'the end of the transfer');
    expect(Date.now() - started).toBeGreaterThanOrEqual((bin.length / 100_000) * 1000 * 0.8);
  });

  it('no space: 400 NOT_ENOUGH_SPACE', async () => {
    const d = await device({faults: {noSpace: true}});
    const big = buildFirmwareImage({name: 'relay', version: '3.0.0', size: 100_000});
    const from = watcher.messages.length;
    await watcher.client.publishAsync(`${d.root}/$implementation/ota/firmware/${md5(big)}`, big, {qos: 1});
    await until(() => statuses(d, from).length >= 2, 'the refusal');
    expect(statuses(d, from)).toEqual(['202', '400 NOT_ENOUGH_SPACE']);
  });
});

describe('sleepy devices and power', () => {
  it('v3: $state=sleeping, a clean disconnect (no will), then a fresh boot', async () => {
    const d = await device({faults: {sleepy: {sleepSeconds: 0.5, awakeSeconds: 0.3}}});
    const from = watcher.messages.length;
    await d.waitFor('state', s => s === 'sleeping', 3000);
    await d.waitFor('advertised', undefined, 3000);
    const states = () => seen(d, from).filter(s => s.startsWith('$state='));
    await until(() => states().length >= 3, 'the states at the watcher');
    const after = states();
    expect(after.slice(0, 3)).toEqual(['$state=sleeping', '$state=init', '$state=ready']);
    expect(after).not.toContain('$state=lost');
  });

  it('v2: sleeping is announced as $online=false', async () => {
    const d = await device({generation: 'v2', faults: {sleepy: {sleepSeconds: 0.5, awakeSeconds: 0.3}}});
    const from = watcher.messages.length;
    await d.waitFor('state', s => s === 'sleeping', 3000);
    await until(() => seen(d, from).includes('$online=false'), '$online=false');
  });

  it('goOffline with and without the will; goOnline brings it back', async () => {
    const d = await device();
    let from = watcher.messages.length;
    await d.goOffline({will: false});
    await sleep(200);
    expect(seen(d, from)).toEqual([]);
    d.goOnline();
    await d.waitFor('advertised');
    from = watcher.messages.length;
    await d.goOffline();
    await until(() => seen(d, from).includes('$state=lost'), 'the will');
    expect(d.state).toBe('offline');
  });
});

describe('the sketch: /set, $broadcast, reset, config', () => {
  it('/set on a settable property is echoed (QoS 1, retained); bad values and read-only properties are not', async () => {
    const d = await device();
    const from = watcher.messages.length;
    await watcher.client.publishAsync(`${d.root}/light/on/set`, 'maybe', {qos: 1});
    await watcher.client.publishAsync(`${d.root}/temperature/degrees/set`, '30', {qos: 1});
    await watcher.client.publishAsync(`${d.root}/light/on/set`, 'true', {qos: 1});
    await until(() => seen(d, from).includes('light/on=true'), 'the echo');
    const echoes = seen(d, from).filter(s => !s.endsWith('/set') && !s.includes('/set='));
    expect(echoes).toEqual(['light/on=true']);
    const echo = watcher.messages.find((m, i) => i >= from && m.topic === `${d.root}/light/on`)!;
    expect(echo.qos).toBe(1);
  });

  it('$broadcast reaches the sketch', async () => {
    const d = await device();
    const got = d.waitFor('broadcast');
    await watcher.client.publishAsync('homie/$broadcast/alert', 'Intruder detected', {qos: 1});
    const [info] = await got;
    expect(info).toEqual({level: 'alert', payload: 'Intruder detected'});
  });

  it('$implementation/reset true: the flag is overwritten with false, then the device leaves for configuration mode', async () => {
    const d = await device();
    const from = watcher.messages.length;
    await watcher.client.publishAsync(`${d.root}/$implementation/reset`, 'true', {qos: 1});
    await until(() => d.state === 'config-mode', 'configuration mode');
    const after = seen(d, from);
    expect(after.indexOf('$implementation/reset=false')).toBeGreaterThan(after.indexOf('$implementation/reset=true'));
    await until(() => seen(d, from).includes('$state=lost'), 'the will');
  });

  it('$implementation/config/set: cleared with an empty retained message, applied, rebooted', async () => {
    const d = await device();
    const from = watcher.messages.length;
    const back = d.waitFor('rebooted');
    await watcher.client.publishAsync(`${d.root}/$implementation/config/set`, JSON.stringify({name: 'Hall light'}), {qos: 1});
    await back;
    await until(() => seen(d, from).includes('$name=Hall light'), 'the new name');
    expect(seen(d, from)).toContain('$implementation/config/set=');
  });
});

describe('faults for a share of the fleet', () => {
  it('a share, a count and named ids pick the right devices, the same ones for the same seed', async () => {
    const make = () => startFleet({
      url: broker.url, devices: 20, idPrefix: 'share', seed: 'fixed',
      faults: [{faults: {otaDisabled: true}, share: 0.25}, {faults: {flashErrorAt: 10}, count: 3}, {faults: {neverBack: true}, ids: ['share-0007']}],
    });
    fleet = make();
    const disabled = fleet.devices.filter(d => d.faults.otaDisabled).map(d => d.id);
    const flashing = fleet.devices.filter(d => d.faults.flashErrorAt === 10).map(d => d.id);
    expect(disabled).toHaveLength(5);
    expect(flashing).toHaveLength(3);
    expect(fleet.device('share-0007')!.faults.neverBack).toBe(true);
    await fleet.waitAllAdvertised(5000);
    await until(() => disabled.every(id => watcher.messages.some(m => m.topic === `homie/${id}/$implementation/ota/enabled` && m.payload === 'false')), 'ota/enabled false');
    await fleet.stop();
    fleet = make();
    expect(fleet.devices.filter(d => d.faults.otaDisabled).map(d => d.id)).toEqual(disabled);
  });
});
