import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {otaWorld, type OtaWorld} from '../ota/helpers.js';
import {renderDashboard, type RenderedDashboard} from '../helpers/render-ui.js';
import {sleep, waitFor} from '../helpers/wait-for.js';

/**
 * In process, through the same input pacer as the app: two dashboards on one engine, one typed key by
 * key, the other sent each sequence in a single write, must end on the same frame. (The frames have no
 * colours here, so sequences end with Enter: the detail that opens names the row the cursor was on.)
 * The built CLI in a real terminal does the same in test/e2e/bursts-*.test.ts.
 */
let world: OtaWorld;
let dashboards: RenderedDashboard[] = [];
beforeAll(async () => {
  world = await otaWorld({
    specs: ['attic', 'boiler', 'cellar', 'porch'].map(id => ({id, generation: 'v3' as const, fw: {name: id === 'cellar' ? 'sensor' : 'relay', version: '1.0.0'}})),
    firmware: [['relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 100_000}], ['sensor-2.0.0.bin', {name: 'sensor', version: '2.0.0', size: 100_000}]],
    fleet: {statsInterval: 3600},
  });
}, 30_000);
afterAll(async () => {
  await world?.close();
});
afterEach(() => {
  for (const d of dashboards) d.unmount();
  dashboards = [];
});

/** Once every key written has been handled, drawn and its effects run. */
async function settled(ui: RenderedDashboard): Promise<string> {
  await waitFor(() => ui.idle(), 'the dashboard to handle every key', 10_000, 5);
  // the last frame of a commit is written at once (debug mode), but let a trailing one in
  await sleep(20);
  return ui.frame();
}

const CASES: Array<{name: string; setup?: string; keys: string; shows: RegExp}> = [
  {name: '1/fw:relay⏎ from the Firmware view', setup: '2', keys: '1/fw:relay\r', shows: /filter "fw:relay": 3 shown/},
  {name: '1jj⏎ from the Firmware view', setup: '2', keys: '1jj\r', shows: /cellar +homie\/cellar/},
  {name: '? jjjj Esc j ⏎', keys: '?jjjj\u001Bj\r', shows: /boiler +homie\/boiler/},
  {name: 'D n j ⏎', keys: 'Dnj\r', shows: /boiler +homie\/boiler/},
  {name: '/relay⏎ u ⏎', keys: '/relay\ru\r', shows: /flash relay-1\.1\.0 to 3 devices/},
];

describe('a burst of keys, through the input pacer', () => {
  for (const c of CASES) {
    it(`${c.name} ends where the same keys typed slowly end`, async () => {
      const slow = await renderDashboard(world.engine, {paced: true});
      const burst = await renderDashboard(world.engine, {paced: true});
      dashboards.push(slow, burst);
      await Promise.all([slow, burst].map(ui => ui.waitForText('porch')));
      if (c.setup) await Promise.all([slow.press(c.setup), burst.press(c.setup)]);
      burst.write(c.keys);
      await slow.press(c.keys);
      const reference = await settled(slow);
      expect(reference).toMatch(c.shows);
      expect(await settled(burst)).toBe(reference);
    });
  }

  it('keeps up: 40 moves in one write take well under a second, and all of them count', async () => {
    const ui = await renderDashboard(world.engine, {paced: true, rows: 12});
    dashboards.push(ui);
    await ui.waitForText('porch');
    const started = Date.now();
    ui.write(`${'j'.repeat(40)}k\r`);
    await ui.waitForText(/cellar +homie\/cellar/);
    expect(Date.now() - started).toBeLessThan(1000);
    await sleep(10);
  });
});
