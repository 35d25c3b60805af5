import fs from 'node:fs';
import path from 'node:path';
import mqtt, {type MqttClient} from 'mqtt';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import {DeviceEntry} from '../../src/engine/inventory/device.js';
import {saveInventory} from '../../src/engine/inventory/persistence.js';
import {testConfig} from '../helpers/config.js';
import {deviceId, deviceTopics, RawPublisher} from '../helpers/homie-publisher.js';
import {freePort} from '../helpers/ports.js';
import {keys, renderDashboard, type RenderedDashboard} from '../helpers/render-ui.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';

let dir: string;
let cleanup: () => void;
let engine: Engine | null = null;
let ui: RenderedDashboard | null = null;
let client: MqttClient | null = null;
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(async () => {
  ui?.unmount();
  ui = null;
  await client?.endAsync();
  client = null;
  await engine?.stop();
  engine = null;
  cleanup();
});

/** An engine on its embedded broker, holding `count` Homie 3 devices (plus any extra topics). */
async function engineWith(count: number, extra: Array<[string, string]> = [], overrides: Parameters<typeof testConfig>[1] = {}): Promise<Engine> {
  const e = createEngine(testConfig(dir, {brokerPort: '0', ...overrides}));
  engine = e;
  await e.start();
  const publisher = await RawPublisher.connect(e.broker!.boundPort);
  for (let i = 0; i < count; i++) {
    const options = {name: `Room ${i}`, ip: `10.0.0.${i}`, version: `1.${i % 3}.0`, fw: i % 2 ? 'fleet-sensor' : 'relay-board', signal: (i * 37) % 101, uptime: 1000 + i, state: i === 3 ? 'lost' : 'ready'};
    for (const [topic, payload] of deviceTopics('v3', 'homie', deviceId(i), options)) await publisher.publish(topic, payload);
  }
  for (const [topic, payload] of extra) await publisher.publish(topic, payload);
  await publisher.close();
  // aedes sends retained messages after the SUBACK: wait for the topics themselves
  await waitFor(() => e.inventory.list().length >= count && Array.from({length: count}, (_, i) => e.inventory.topics(`homie/${deviceId(i)}`)?.size).every(n => n === 33), 'devices loaded', 10_000);
  client = await mqtt.connectAsync(`mqtt://127.0.0.1:${e.broker!.boundPort}`);
  return e;
}

const rowOf = (frame: string, id: string) => frame.split('\n').find(line => line.includes(id)) ?? '';

describe('Devices view', () => {
  it('shows a live table: state glyph, signal bar, id, name, IP, uptime, firmware, version, Homie; counts in the tab', async () => {
    const e = await engineWith(12);
    ui = await renderDashboard(e, {columns: 120, rows: 30});
    const frame = await ui.waitForText('dev-00011');
    expect(frame).toMatch(/1 Devices 11\/12/);
    expect(frame).toMatch(/12 devices, 11 online/);
    expect(frame).toMatch(/S {2}SIG +ID˄ +NAME +IP +UPTIME FIRMWARE +VERSION +↑ +HOMIE/);
    expect(rowOf(frame, 'dev-00001')).toMatch(/^ {2}● {2}▂▄·· dev-00001 +Room 1 +10\.0\.0\.1 +16m 41s +fleet-sensor +1\.1\.0 +3\.0\.1/);
    expect(rowOf(frame, 'dev-00003')).toMatch(/✕/);
    await client!.publishAsync('homie/dev-00001/$stats/uptime', '90000', {qos: 1});
    await client!.publishAsync('homie/dev-00001/$state', 'sleeping', {qos: 1, retain: true});
    await waitFor(() => /◑ .*dev-00001 .*1d 1h/.test(ui!.frame()), 'the row to follow live updates');
    expect(ui.frame()).toMatch(/1 Devices 10\/12/);
  });

  it('filters with / (text and key:value terms), ! inverts, Esc clears', async () => {
    const e = await engineWith(20);
    ui = await renderDashboard(e, {columns: 100, rows: 30});
    await ui.waitForText('dev-00019');
    await ui.press('/');
    await ui.press(...'fw:relay version:1.0.'.split(''));
    await ui.waitForText('/fw:relay version:1.0.');
    await ui.press(keys.enter);
    const filtered = await ui.waitForText('": 4 shown');
    expect(filtered).toMatch(/dev-00000/);
    expect(filtered).toMatch(/dev-00006/);
    expect(filtered).not.toMatch(/dev-00001 /);
    // Esc clears a filter: the footer (first, even at 80 columns) and the help say so while one is set
    expect(filtered).toMatch(/Esc clear filter/);
    ui.resize(80, 24);
    await ui.waitForText(/^Esc clear filter {2}Enter detail .*\? help {2}q quit$/m);
    ui.resize(100, 30);
    await ui.press('?');
    await ui.waitForText(/Devices view, filter set\n +Esc +clear the filter/);
    await ui.press('?');
    await ui.press('!');
    await ui.waitForText('filter NOT "fw:relay version:1.0.": 16 shown');
    await ui.press(keys.escape);
    await ui.waitForText(/20 devices, 19 online · sort/);
    expect(ui.frame()).not.toMatch(/Esc clear filter/);
    await ui.press('/', 'n', 'o', 'p', 'e');
    await ui.waitForText('No device matches the filter');
    await ui.press(keys.escape);
    await ui.waitForText('dev-00019');
  });

  it('says when a filter term names no field, and searches it as text', async () => {
    const e = await engineWith(3);
    ui = await renderDashboard(e, {columns: 140, rows: 30});
    await ui.waitForText('dev-00002');
    await ui.press('/', 'foo:bar fw:relay');
    await ui.waitForText(/\/foo:bar fw:relay +foo: not a field, searched as text; fields: id, name, ip, fw, version/);
    // the whole list, wrapped, where nothing matched
    expect(ui.frame().replace(/\n/g, ' ')).toMatch(/fields: id, name, ip, fw, version, state, homie, impl, mac, prefix, update, online, confirmed, ota\): \/ changes it/);
    await ui.press(keys.enter);
    await ui.waitForText(/filter "foo:bar fw:relay": 0 shown \(foo: not a field, searched as text/);
    expect(ui.frame()).toMatch(/No device matches the filter "foo:bar fw:relay" \(foo: not a field/);
    // a MAC is text, not a field
    await ui.press(keys.escape, '/', 'aa:bb');
    await ui.waitForText('/aa:bb');
    expect(ui.frame()).not.toMatch(/not a field/);
    expect(ui.frame()).toMatch(/Enter keep · Esc undo/);
  });

  it('takes a burst of keys (fast typing over SSH) key by key, and the rest of a "/…" burst as filter text', async () => {
    const e = await engineWith(30);
    ui = await renderDashboard(e, {columns: 100, rows: 20});
    await ui.waitForText('dev-00000');
    ui.write('jjjjjjjjjjjjjjjjjjjj');
    await ui.waitForText('9-21 of 30');
    ui.write('g/fw:relay version:1.0.\r');
    await ui.waitForText('": 5 shown');
    expect(ui.frame()).not.toMatch(/Enter keep/);
  });

  it('opens the detail with every attribute and live property values; Esc goes back', async () => {
    const e = await engineWith(3);
    ui = await renderDashboard(e, {columns: 100, rows: 60});
    await ui.waitForText('dev-00002');
    await ui.press('j', keys.enter);
    const detail = await ui.waitForText('Nodes and properties');
    expect(detail).toMatch(/dev-00001 +homie\/dev-00001/);
    expect(detail).toMatch(/State +● ready/);
    expect(detail).toMatch(/Firmware +fleet-sensor 1\.1\.0/);
    expect(detail).toMatch(/temperature +21\.5 °C +float/);
    expect(detail).toMatch(/on +false +boolean +settable/);
    expect(detail).toMatch(/\$implementation\/ota\/enabled +true/);
    expect(detail).toMatch(/── OTA history\n +no updates by homie-ota yet/);
    await client!.publishAsync('homie/dev-00001/sensor/temperature', '19.75', {qos: 1, retain: true});
    await ui.waitForText(/temperature +19\.75 °C/);
    await ui.press(keys.escape);
    await ui.waitForText('3 devices, 3 online');
  });

  it('forgets a device after confirmation, and refuses in --readonly', async () => {
    const e = await engineWith(3);
    ui = await renderDashboard(e, {columns: 100, rows: 30});
    await ui.waitForText('dev-00002');
    await ui.press('j', 'D');
    await ui.waitForText('Forget homie/dev-00001?');
    await ui.press('n');
    await waitFor(() => !ui!.frame().includes('Forget homie'), 'dialog closed');
    expect(e.inventory.get('homie/dev-00001')).toBeDefined();
    await ui.press('D');
    await ui.waitForText('Forget homie/dev-00001?');
    await ui.press('y');
    await ui.waitForText('forgot homie/dev-00001: cleared 33 retained topics', 5000);
    expect(rowOf(ui.frame(), '● ')).toBeTruthy();
    expect(ui.frame().split('\n').filter(line => /^.{2}[●✕] .*dev-00001/.test(line))).toEqual([]);
    ui.unmount();
    await e.stop();
    engine = null;

    const ro = await engineWith(2, [], {readonly: true});
    ui = await renderDashboard(ro, {columns: 100, rows: 30});
    await ui.waitForText('dev-00001');
    expect(ui.frame()).not.toContain('D forget');
    await ui.press('D');
    await ui.waitForText('read-only mode');
    expect(ui.frame()).not.toContain('Forget homie');
  });

  it('stays inside the terminal at 80×24 with hundreds of devices, and drops columns to fit', async () => {
    const e = await engineWith(300);
    ui = await renderDashboard(e, {columns: 80, rows: 24});
    await ui.waitForText('dev-00016');
    // the first frame is drawn before the terminal size is set: wait for the one drawn at 80 (its tab line fills the width)
    await waitFor(() => ui!.frame().split('\n')[1]?.length === 80, 'a frame drawn at 80 columns');
    const frame = ui.frame();
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const line of lines) expect(line.length, frame).toBeLessThanOrEqual(80);
    // short IDs and names leave room for the NAME column at 80; at 60 it goes
    expect(frame).toContain('NAME');
    ui.resize(60, 20);
    await waitFor(() => !ui!.frame().includes('NAME') && ui!.frame().includes('dev-00000'), 'NAME dropped at 60 columns');
    ui.resize(120, 40);
    await ui.waitForText('NAME');
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(ui.frame().split('\n').length).toBeLessThanOrEqual(39);
  });

  it('never lets device text drive the terminal, and marks devices not yet confirmed', async () => {
    const fwDir = path.join(dir, 'firmwares');
    fs.mkdirSync(fwDir, {recursive: true});
    const old = new DeviceEntry('homie', 'remembered', false, false);
    old.set('$state', 'ready');
    old.set('$name', 'Attic \u001b[2J\u0007 sensor');
    await saveInventory(path.join(fwDir, 'inventory.json'), [old], Date.now());
    const port = await freePort();
    engine = createEngine(testConfig(dir, {mqtt: `mqtt://127.0.0.1:${port}`}));
    await engine.start();
    ui = await renderDashboard(engine, {columns: 140, rows: 20});
    const frame = await ui.waitForText('remembered');
    expect(rowOf(frame, 'remembered')).toMatch(/◌ .*remembered +Attic \\x1b\[2J\\x07 sensor/);
    expect(frame).toMatch(/◌ 1 not yet confirmed/);
    expect(frame).toMatch(/broker offline/);
    expect(frame).not.toMatch(/\u0007/);
  });
});
