import {afterEach, describe, expect, it} from 'vitest';
import type {DeviceRecord} from '../../src/engine/inventory/types.js';
import {keys, renderSource, stillFrame, type RenderedDashboard} from '../helpers/render-ui.js';
import {deviceDetail, deviceRecord, firmwareRecord, handSource, job, NOW, type HandMade} from '../helpers/snapshots.js';
import {sleep, waitFor} from '../helpers/wait-for.js';

/** The views on stores fed by hand: no engine, no broker; what a key asks for is recorded. */

let ui: RenderedDashboard | null = null;
afterEach(() => {
  ui?.unmount();
  ui = null;
});

const id = (i: number) => `dev-${String(i).padStart(5, '0')}`;

/** `count` Homie 3 devices as the engine lists them: Room i, 10.0.0.i, alternating firmware; the fourth is lost. */
function fleet(count: number): DeviceRecord[] {
  return Array.from({length: count}, (_, i) => deviceRecord(id(i), {
    name: `Room ${i}`, ip: `10.0.0.${i}`, fw: {name: i % 2 ? 'fleet-sensor' : 'relay-board', version: `1.${i % 3}.0`},
    signal: (i * 37) % 101, uptime: 1000 + i, state: i === 3 ? 'lost' : 'ready', online: i !== 3,
  }));
}

const rowOf = (frame: string, text: string) => frame.split('\n').find(line => line.includes(text)) ?? '';

describe('the Devices view on hand-made data', () => {
  it('draws the table from the snapshot alone', async () => {
    const frame = await stillFrame(handSource({devices: fleet(12)}), 'dev-00011', {columns: 120, rows: 30});
    expect(frame).toMatch(/1 Devices 11\/12/);
    expect(frame).toMatch(/12 devices, 11 online/);
    expect(rowOf(frame, 'dev-00001')).toMatch(/^ {2}● {2}▂▄·· dev-00001 +Room 1 +10\.0\.0\.1 +16m 41s +fleet-sensor +1\.1\.0 +3\.0\.1/);
    expect(rowOf(frame, 'dev-00003')).toMatch(/✕/);
  });

  it('says while a fleet loads how many devices have all their attributes, at 80×24 without pushing anything off', async () => {
    const devices = fleet(20_000);
    const loading = {phase: 'loading' as const, subscribed: 13_000, queued: 7000, completedAt: undefined, loading: 7655};
    const frame = await stillFrame(handSource({devices, discovery: loading}), 'dev-00000', {columns: 80, rows: 24});
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(lines.every(line => line.length <= 80)).toBe(true);
    expect(frame).toMatch(/attributes 12,345 of 20,000 devices, 19,999 online · sort id ˄ · 1-\d+ of 20,000/);
    expect(frame).toContain('OTA http://127.0.0.1:19080/ota');
    // loaded: the plain count again
    const done = await stillFrame(handSource({devices}), 'dev-00000', {columns: 80, rows: 24});
    expect(done).toMatch(/20,000 devices, 19,999 online · sort id ˄/);
    expect(done).not.toContain('attributes');
  });

  it('moves with j/k, G/g and pages; sorts with < > and I; the cursor stays on its device', async () => {
    ui = await renderSource(handSource({devices: fleet(40)}), {columns: 100, rows: 20});
    await ui.waitForText('dev-00000');
    await ui.press('j', 'j');
    expect(ui.frame()).toMatch(/1-13 of 40/);
    await ui.press('G');
    await ui.waitForText('28-40 of 40');
    await ui.press('g', keys.pageDown);
    await ui.waitForText('14-26 of 40');
    await ui.press('>');
    await ui.waitForText('sort name ˄');
    await ui.press('>', '>', '>');
    await ui.waitForText('sort fw ˄');
    await ui.press('I');
    await ui.waitForText('sort fw ˅');
    expect(ui.frame().split('\n').slice(4, 6).every(line => line.includes('relay-board'))).toBe(true);
    await ui.press('<', '<', '<', '<', '<');
    await ui.waitForText('sort signal ˅');
    const bars = ui.frame().split('\n').slice(4, -2).map(line => (/ [▂▄▆█·]{4} /.exec(line)?.[0].match(/[▂▄▆█]/g) ?? []).length);
    expect(bars.length).toBeGreaterThan(5);
    expect(bars).toEqual([...bars].sort((a, b) => b - a));
    await ui.press('<');
    await ui.waitForText('sort state ˅');
    await ui.press('I', 'g');
    await ui.waitForText('sort state ˄');
    expect(ui.frame().split('\n')[4]).toMatch(/✕ .*dev-00003/);
  });

  it('marks with space and a, clears with U', async () => {
    ui = await renderSource(handSource({devices: fleet(6)}), {columns: 100, rows: 30});
    await ui.waitForText('dev-00005');
    await ui.press(' ', ' ');
    await ui.waitForText('2 marked');
    expect(rowOf(ui.frame(), 'dev-00000')).toMatch(/^✓/);
    expect(rowOf(ui.frame(), 'dev-00002')).not.toMatch(/^✓/);
    await ui.press('a');
    await ui.waitForText('6 marked');
    await ui.press('a');
    await ui.waitForText(/5 online · sort id ˄$/m);
    await ui.press('a', 'U');
    await waitFor(() => !ui!.frame().includes('marked'), 'marks cleared');
  });

  it('asks to forget, then asks the actions; the row goes only when the store says so', async () => {
    const source = handSource({devices: fleet(3)});
    ui = await renderSource(source, {columns: 100, rows: 30});
    await ui.waitForText('dev-00002');
    await ui.press('j', 'D');
    await ui.waitForText('Forget homie/dev-00001?');
    expect(ui.frame()).toContain('It is online: if it keeps running it will announce itself again.');
    await ui.press('n');
    await waitFor(() => !ui!.frame().includes('Forget homie'), 'dialog closed');
    expect(source.actions.calls).toEqual([]);
    await ui.press('D', 'y');
    await waitFor(() => source.actions.calls.length === 1, 'the forget asked for');
    expect(source.actions.calls[0]).toEqual({name: 'forgetDevice', args: ['homie/dev-00001']});
    expect(ui.frame()).toContain('dev-00001');
    source.store.feed(s => ({...s, devices: {...s.devices, total: 2, devices: s.devices.devices.filter(d => d.id !== 'dev-00001')}}));
    await waitFor(() => !ui!.frame().includes('dev-00001'), 'the row to go');
  });

  it('draws no frame for a snapshot that changes only devices off screen, and shows their change when they come into view', async () => {
    const source = handSource({devices: fleet(200)});
    ui = await renderSource(source);
    await ui.waitForText('dev-00000');
    await sleep(100);
    const drawn = ui.frames();
    const change = (i: number, uptime: number) => source.store.feed(s => ({...s, devices: {...s.devices,
      devices: s.devices.devices.map(d => (d.id === id(i) ? {...d, uptime, signal: 5} : d))}}));
    change(150, 90_061);
    await sleep(100);
    expect(ui.frames()).toBe(drawn);
    // a device on screen changes: drawn at once
    change(1, 7200);
    expect(rowOf(await ui.waitForText(/dev-00001 .* 2h 0m/), 'dev-00001')).toMatch(/▂··· dev-00001/);
    expect(ui.frames()).toBeGreaterThan(drawn);
    await ui.press('/dev-00150\r');
    expect(await ui.waitForText('1 shown')).toMatch(/\n.*▂··· dev-00150 .* 1d 1h/);
  });

  it('shows the focused device: its detail, the job running now and its OTA history', async () => {
    const devices = fleet(2);
    const relay = firmwareRecord('relay-board', '1.2.0');
    const made: HandMade = {
      devices,
      firmware: [relay],
      jobs: [job(devices[1]!, relay, 'sending', {id: 'j-7', progress: {done: 40, total: 100, firstAt: NOW - 2000, lastAt: NOW}})],
      details: {'homie/dev-00001': deviceDetail(devices[1]!, {attributes: {'$implementation/ota/enabled': 'true'}})},
      history: {'homie/dev-00001': [{jobId: 'j-3', time: NOW - 3_600_000, from: 'relay-board 1.0.0', to: 'relay-board 1.1.0', result: 'failed', durationMs: 42_000, error: 'the device did not come back'}]},
    };
    const source = handSource(made);
    ui = await renderSource(source, {columns: 130, rows: 40});
    await ui.waitForText('dev-00001');
    await ui.press('j', keys.enter);
    const detail = await ui.waitForText('OTA history');
    expect(source.store.focused).toBe('homie/dev-00001');
    expect(detail).toMatch(/\$implementation\/ota\/enabled +true/);
    expect(detail).toMatch(/now +j-7 → relay-board 1\.2\.0: sending 40%/);
    expect(detail).toMatch(/relay-board 1\.0\.0 → relay-board 1\.1\.0 +failed in 42s: the device did not come back +\(j-3\)/);
    await ui.press(keys.escape);
    await ui.waitForText('2 devices');
    expect(source.store.focused).toBeNull();
  });
});

describe('the Firmware view on hand-made data', () => {
  const firmware = [firmwareRecord('relay', '1.1.0'), firmwareRecord('relay', '1.0.0', {description: 'kitchen relays'}), firmwareRecord('sensor', '2.0.0', {chip: 'esp32s3', size: 200_000})];

  it('lists the firmware with the devices that run each', async () => {
    const devices = [deviceRecord('kitchen', {fw: {name: 'relay', version: '1.0.0'}}), deviceRecord('hall', {fw: {name: 'relay', version: '1.0.0'}})];
    const frame = await stillFrame(handSource({devices, firmware}), 'kitchen relays', {initialView: 'firmware'});
    expect(frame).toMatch(/3 firmware files, 2 names · drop \.bin files into \/srv\/homie-ota\/firmwares/);
    expect(rowOf(frame, 'kitchen relays')).toMatch(/^ +1\.0\.0 .* 2 kitchen relays/);
  });

  it('refuses D at once while the snapshot says the file cannot go, and asks nothing', async () => {
    const source = handSource({firmware, deleteRefusals: {'relay-1.1.0.bin': 'job j-3 for kitchen (queued) uses it; cancel the job first'}});
    ui = await renderSource(source, {initialView: 'firmware'});
    await ui.waitForText('firmware files');
    await ui.press('D');
    await ui.waitForText('relay-1.1.0.bin cannot be deleted: job j-3 for kitchen (queued) uses it; cancel the job first');
    expect(ui.frame()).not.toContain('Delete relay-1.1.0.bin?');
    await ui.press('j', 'D');
    await ui.waitForText('Delete relay-1.0.0.bin?');
    await ui.press('y');
    await waitFor(() => source.actions.calls.length === 1, 'the delete asked for');
    expect(source.actions.calls[0]).toEqual({name: 'deleteFirmware', args: ['relay', '1.0.0']});
  });
});

describe('the Queue view on hand-made data', () => {
  const kitchen = deviceRecord('kitchen');
  const hall = deviceRecord('hall');
  const relay = firmwareRecord('relay-board', '1.1.0');

  it('c says at once why a transfer cannot be cancelled; a waiting job is cancelled through the actions, and the answer is shown', async () => {
    const source = handSource({devices: [kitchen, hall], firmware: [relay], jobs: [
      job(kitchen, relay, 'sending', {id: 'j-1', sentAt: NOW - 3000}),
      job(hall, relay, 'waiting', {id: 'j-2', waitingFor: 'the device is asleep; starts when it wakes', waitKind: 'device'}),
    ]});
    source.actions.answer('cancelJob', {ok: true, message: 'cancelled j-2'});
    ui = await renderSource(source, {initialView: 'queue'});
    await ui.waitForText('j-2');
    await ui.press('c');
    await ui.waitForText('j-1 is sending: the firmware is on its way to the device and a transfer cannot be stopped');
    expect(source.actions.calls).toEqual([]);
    await ui.press('j', 'c');
    await ui.waitForText('Cancel j-2: hall → relay-board 1.1.0?');
    await ui.press('y');
    await ui.waitForText('cancelled j-2');
    expect(source.actions.calls).toEqual([{name: 'cancelJob', args: ['j-2']}]);
  });

  it('q asks before quitting while updates are open, counting them from the snapshot', async () => {
    const source = handSource({devices: [kitchen, hall], firmware: [relay], jobs: [job(kitchen, relay, 'flashing', {id: 'j-1'}), job(hall, relay, 'queued', {id: 'j-2'})]});
    ui = await renderSource(source, {initialView: 'queue'});
    await ui.waitForText('j-2');
    await ui.press('q');
    await ui.waitForText('2 updates are open (1 in progress). Quit homie-ota?');
  });
});
