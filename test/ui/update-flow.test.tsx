import {afterEach, describe, expect, it} from 'vitest';
import {finished, otaWorld, type OtaWorld} from '../ota/helpers.js';
import {keys, renderDashboard, type RenderedDashboard} from '../helpers/render-ui.js';
import {waitFor} from '../helpers/wait-for.js';
import {deviceTopics, RawPublisher} from '../helpers/homie-publisher.js';

let world: OtaWorld | null = null;
let ui: RenderedDashboard | null = null;
afterEach(async () => {
  ui?.unmount();
  ui = null;
  await world?.close();
  world = null;
});

describe('u: update marked devices from the keyboard', () => {
  it('picks the firmware (compatible first, description shown), confirms a one-line summary, and follows it in the Queue', async () => {
    world = await otaWorld({
      specs: [
        {id: 'kitchen', generation: 'v3', fw: {name: 'relay', version: '1.0.0'}},
        {id: 'porch', generation: 'v3', fw: {name: 'relay', version: '1.0.0'}},
        {id: 'camera', generation: 'v3', chip: 'esp32', fw: {name: 'cam', version: '1.0.0'}},
      ],
      firmware: [
        ['relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 100_000}],
        ['cam-2.0.0.bin', {name: 'cam', version: '2.0.0', chip: 'esp32', size: 100_000}],
        ['aaa-9.0.0.bin', {name: 'aaa', version: '9.0.0', chip: 'esp32', size: 100_000}],
      ],
    });
    const {engine} = world;
    await engine.firmware.setDescription('relay', '1.1.0', 'fixes the relay chatter');
    ui = await renderDashboard(engine, {columns: 100, rows: 30});
    await ui.waitForText(/kitchen/);
    // the rows are sorted by id: camera, kitchen, porch — mark kitchen and porch
    await ui.press('j', ' ', ' ');
    await ui.waitForText(/2 marked/);
    await ui.press('u');
    const picker = await ui.waitForText('pick the firmware');
    const order = picker.split('\n').filter(l => /\d+\.\d+\.\d+/.test(l) && /(relay|cam|aaa) /.test(l)).map(l => /(relay|cam|aaa) /.exec(l)![1]);
    expect(order[0]).toBe('relay');
    expect(picker).toMatch(/↑ relay +1\.1\.0 +esp8266 .*2 to update/);
    expect(picker).toMatch(/can't: cam-2\.0\.0\.bin is an esp32 image/);
    expect(picker).toContain('fixes the relay chatter');
    await ui.press(keys.enter);
    const confirm = await ui.waitForText(/flash relay-1\.1\.0 to 2 devices, 2 at a time\?/);
    expect(confirm).toMatch(/kitchen goes first; the rest follow once it is back on 1\.1\.0/);
    await ui.press('y');
    await ui.waitForText(/JOB +DEVICE/);
    const jobs = engine.ota.list();
    expect(jobs.map(j => j.deviceId).sort()).toEqual(['kitchen', 'porch']);
    expect(engine.ota.rollouts()).toHaveLength(1);
    await Promise.all(jobs.map(j => finished(engine, j.id)));
    const queue = await ui.waitForText(/2 jobs: 2 done · 2 at a time/);
    expect(queue).toMatch(/✓ r-\d+ +finished: relay 1\.1\.0 · 2 devices: 2 done · 2 marked devices/);
    // the device detail shows its OTA history
    await ui.press('1');
    await ui.waitForText(/kitchen/);
    await ui.press('g', 'j', keys.enter);
    const detail = await ui.waitForText('OTA history');
    expect(detail).toMatch(/relay 1\.0\.0 → relay 1\.1\.0 +done in/);
  });

  it('u in the device detail updates that device; Enter on a firmware that cannot go says why at once', async () => {
    world = await otaWorld({
      specs: [{id: 'kitchen', generation: 'v3', fw: {name: 'relay', version: '1.0.0'}}, {id: 'porch', generation: 'v3', fw: {name: 'relay', version: '1.0.0'}}],
      firmware: [['relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 100_000}], ['cam-2.0.0.bin', {name: 'cam', version: '2.0.0', chip: 'esp32', size: 100_000}]],
    });
    ui = await renderDashboard(world.engine, {columns: 100, rows: 30});
    await ui.waitForText(/porch/);
    await ui.press('j', keys.enter);
    // (live: the detail follows the record as its last attributes come in)
    const detail = await ui.waitForText(/no updates by homie-ota yet \(u updates this device\)/);
    expect(detail).toMatch(/Esc back {2}u update/);
    await ui.press('u');
    await ui.waitForText('Update porch: pick the firmware');
    await ui.press('G', keys.enter);
    // the reason whole, wrapped inside the dialog
    const unwrapped = () => ui!.frame().replace(/ *│\n│ */g, ' ');
    await waitFor(() => /cam-2\.0\.0\.bin cannot go to porch: cam-2\.0\.0\.bin is an esp32 image but the device is an esp8266\. Pick another, or Esc\./.test(unwrapped()), `the reason; frame:\n${ui.frame()}`);
    // moving on clears it; Esc goes back to the detail it came from
    await ui.press('g');
    await waitFor(() => !ui!.frame().includes('cannot go to porch'), 'the reason to go');
    await ui.press(keys.escape);
    await ui.waitForText('OTA history');
    await ui.press('u', keys.enter, 'y');
    await ui.waitForText(/JOB +DEVICE/);
    expect(world.engine.ota.list().map(j => j.deviceId)).toEqual(['porch']);
  });

  it('says why instead of opening a list where nothing can be picked; a device homie-ota cannot update says so in its detail', async () => {
    world = await otaWorld({
      specs: [{id: 'locked', generation: 'v3', fw: {name: 'relay', version: '1.0.0'}, faults: {otaDisabled: true}}],
      firmware: [['relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 100_000}], ['relay-1.0.0.bin', {name: 'relay', version: '1.0.0', size: 100_000}]],
    });
    const publisher = await RawPublisher.connect(world.engine.broker!.boundPort);
    for (const [topic, payload] of deviceTopics('v5', 'homie', 'thermostat')) await publisher.publish(topic, payload);
    await publisher.close();
    ui = await renderDashboard(world.engine, {columns: 120, rows: 30});
    await ui.waitForText(/thermostat/);
    await ui.press('u');
    const box = await ui.waitForText('Nothing in the firmware store can update locked:');
    expect(box).toMatch(/• OTA is disabled on the device \(\$implementation\/ota\/enabled is false\) \(relay-1\.1\.0\.bin\)/);
    expect(box).toMatch(/• already up to date \(relay-1\.0\.0\.bin\)/);
    expect(box).not.toMatch(/pick the firmware/);
    expect(box).not.toMatch(/j\/k move/);
    await ui.press(keys.enter);
    await ui.waitForText(/2 devices/);
    await ui.press('j', keys.enter);
    const detail = await ui.waitForText('OTA history');
    expect(detail).toMatch(/homie-ota cannot update this device: Homie 5 devices have no firmware update mechanism homie-ota can use/);
    expect(detail).not.toMatch(/u updates this device/);
    await ui.press('u');
    await ui.waitForText('Nothing in the firmware store can update thermostat:');
    await ui.press(keys.escape);
    await ui.waitForText('OTA history');
    expect(world.engine.ota.list()).toEqual([]);
  });

  it('is refused in read-only mode, in the list and in the detail', async () => {
    world = await otaWorld({specs: [{id: 'ro', generation: 'v3', fw: {name: 'relay', version: '1.0.0'}}], config: {readonly: true}});
    ui = await renderDashboard(world.engine);
    await ui.waitForText(/ro /);
    await ui.press('u');
    await ui.waitForText('read-only mode');
    await waitFor(() => !ui!.frame().includes('pick the firmware'), 'no picker');
    await ui.press(keys.enter);
    const detail = await ui.waitForText('OTA history');
    expect(detail).toMatch(/no updates by homie-ota yet$/m);
    expect(detail).not.toMatch(/u update/);
    await ui.press('u');
    await ui.waitForText('read-only mode');
    expect(ui.frame()).not.toMatch(/pick the firmware/);
    expect(world.engine.ota.list()).toEqual([]);
  });
});
