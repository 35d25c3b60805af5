import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {otaWorld, type OtaWorld} from '../ota/helpers.js';
import {keys, renderDashboard, type RenderedDashboard} from '../helpers/render-ui.js';
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
  // every attribute in (two dashboards compare frames: nothing may change between them)
  const topics = () => world.engine.inventory.list().map(d => world.engine.inventory.topics(d.key)?.size ?? 0).join();
  let last = '';
  await waitFor(async () => {
    const now = topics();
    const still = now === last && world.engine.inventory.list().every(d => d.otaEnabled !== undefined);
    last = now;
    await sleep(300);
    return still;
  }, 'the fleet to have published everything', 20_000, 0);
}, 30_000);
afterAll(async () => {
  await world?.close();
});
afterEach(() => {
  for (const d of dashboards) d.unmount();
  dashboards = [];
});

/** Once every key written has been handled, drawn and its effects run: the frame, ages masked (they tick). */
async function settled(ui: RenderedDashboard): Promise<string> {
  await waitFor(() => ui.idle(), 'the dashboard to handle every key', 10_000, 5);
  // the last frame of a commit is written at once (debug mode), but let a trailing one in
  await sleep(20);
  return ui.frame().replace(/\d+[smhd]( \d+[smhd])? ago/g, '<age> ago');
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
      const slow = await renderDashboard(world.engine);
      const burst = await renderDashboard(world.engine);
      dashboards.push(slow, burst);
      await Promise.all([slow, burst].map(ui => ui.waitForText('porch')));
      if (c.setup) await Promise.all([slow.press(c.setup), burst.press(c.setup)]);
      burst.write(c.keys);
      await slow.press(c.keys);
      const reference = await settled(slow);
      expect(reference).toMatch(c.shows);
      expect(await settled(burst)).toBe(reference);
      // every key was handed on by the dashboard's own word, none by the fallback timer
      expect([slow.fallbacks(), burst.fallbacks()]).toEqual([0, 0]);
    });
  }

  it('quits at once on Ctrl+C, however many keys wait before it', async () => {
    const ui = await renderDashboard(world.engine);
    dashboards.push(ui);
    await ui.waitForText('porch');
    const started = Date.now();
    ui.write(`${'jk'.repeat(400)}\u0003`);
    await ui.exited;
    // 800 keys handled one by one first would take seconds
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('takes a paste into a prompt in one piece, and says so when a paste is too long to take whole', async () => {
    const ui = await renderDashboard(world.engine);
    dashboards.push(ui);
    await ui.waitForText('porch');
    await ui.press('/');
    const started = Date.now();
    ui.write('r'.repeat(999));
    await waitFor(() => ui.idle(), 'the paste to be taken', 5000, 5);
    expect(ui.fallbacks()).toBe(0);
    // typed one by one, each character would cost a redraw (seconds for 999): whole, it takes a few
    expect(Date.now() - started).toBeLessThan(3000);
    await ui.press(keys.enter);
    expect(ui.frame()).toMatch(/filter "r{29}…": 0 shown/);
    await ui.press('/', keys.ctrlU);
    ui.write('x'.repeat(1200));
    await ui.waitForText('200 typed-ahead keys were dropped: at most 1000 keys wait their turn; type or paste less at once');
  });

  it('keeps up: 40 moves in one write all count, none waiting for the fallback release', async () => {
    const ui = await renderDashboard(world.engine, {rows: 12});
    dashboards.push(ui);
    await ui.waitForText('porch');
    const started = Date.now();
    ui.write(`${'j'.repeat(40)}k\r`);
    await ui.waitForText(/cellar +homie\/cellar/, 10_000);
    expect(ui.fallbacks()).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
