import {afterEach, describe, expect, it} from 'vitest';
import {finished, otaWorld, type OtaWorld} from '../ota/helpers.js';
import {keys, renderDashboard, type RenderedDashboard} from '../helpers/render-ui.js';
import {waitFor} from '../helpers/wait-for.js';

let world: OtaWorld | null = null;
let ui: RenderedDashboard | null = null;
afterEach(async () => {
  ui?.unmount();
  ui = null;
  await world?.close();
  world = null;
});

const relay = {name: 'relay', version: '1.0.0'};

describe('Queue view', () => {
  it('shows totals, states, progress and reasons; Enter opens the timeline; r retries; c cancels', async () => {
    world = await otaWorld({
      specs: [
        {id: 'q-ok', generation: 'v3', fw: relay},
        {id: 'q-bad', generation: 'v3', fw: relay, faults: {flashErrorAt: 30}},
        {id: 'q-away', generation: 'v3', fw: relay},
      ],
    });
    const {engine, fleet} = world;
    await fleet.device('q-away')!.goOffline({will: true});
    await waitFor(() => engine.inventory.get('homie/q-away')?.state === 'lost', 'q-away lost');
    const created = engine.ota.create({deviceKeys: ['homie/q-ok', 'homie/q-bad', 'homie/q-away'], firmware: {name: 'relay', version: '1.1.0'}});
    const [ok, bad] = await Promise.all(created.jobs.slice(0, 2).map(j => finished(engine, j.id)));
    ui = await renderDashboard(engine, {initialView: 'queue', columns: 100, rows: 30});
    const frame = await ui.waitForText(/1\/3 done · 1 failed · 1 waiting/);
    expect(frame).toMatch(/✓ j-\d+ +q-ok +relay 1\.1\.0 +done +█+ 100%/);
    expect(frame).toMatch(/✗ j-\d+ +q-bad +relay 1\.1\.0 +failed .*writing the flash/);
    expect(frame).toMatch(/◷ j-\d+ +q-away .*waiting .*the device is lost/);
    expect(ok.state).toBe('done');
    expect(bad.state).toBe('failed');

    // the open job is listed first; move to the failed one and open its timeline
    const order = frame.split('\n').filter(l => /j-\d+/.test(l)).map(l => /(q-\w+)/.exec(l)![1]);
    await ui.press(...Array(order.indexOf('q-bad')).fill('j'));
    await ui.press(keys.enter);
    const timeline = await ui.waitForText('Timeline');
    expect(timeline).toMatch(/relay 1\.0\.0 → relay 1\.1\.0/);
    expect(timeline).toMatch(/flashing +the device accepted the image \(202\)/);
    expect(timeline).toMatch(/failed +writing the flash failed on the device \(500 FLASH_ERROR\)/);
    await ui.press(keys.escape);
    await ui.press('r');
    await ui.waitForText(/retrying as j-\d+/);

    // cancel the waiting job after confirming
    await ui.press('g');
    await ui.press('c');
    await ui.waitForText(/Cancel j-\d+: q-away → relay 1\.1\.0\?/);
    await ui.press('y');
    await ui.waitForText(/cancelled j-\d+/);
    expect(engine.ota.list().find(j => j.deviceId === 'q-away')!.state).toBe('cancelled');
  });
});

describe('quitting with open updates', () => {
  it('q asks first while updates are open; n stays, y quits', async () => {
    world = await otaWorld({specs: [{id: 'far', generation: 'v3', fw: relay}]});
    const {engine, fleet} = world;
    await fleet.device('far')!.goOffline({will: true});
    await waitFor(() => engine.inventory.get('homie/far')?.state === 'lost', 'offline');
    engine.ota.create({deviceKeys: ['homie/far'], firmware: {name: 'relay', version: '1.1.0'}});
    ui = await renderDashboard(engine, {initialView: 'queue'});
    await ui.waitForText('1 waiting');
    await ui.press('q');
    await ui.waitForText('1 update is open. Quit homie-ota?');
    await ui.press('n');
    await waitFor(() => !ui!.frame().includes('Quit homie-ota?'), 'the question gone');
    await ui.press('q');
    await ui.waitForText('Quit homie-ota?');
    await ui.press('y');
    await ui.exited;
  });
});
