import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import {testConfig} from '../helpers/config.js';
import {keys, renderDashboard, type RenderedDashboard} from '../helpers/render-ui.js';
import {tempDir} from '../helpers/tmp.js';

let dir: string;
let cleanup: () => void;
let engine: Engine;
let ui: RenderedDashboard | null = null;
beforeEach(() => {
  ({dir, cleanup} = tempDir());
  engine = createEngine(testConfig(dir, {brokerPort: '0'}));
});
afterEach(() => {
  ui?.unmount();
  ui = null;
  cleanup();
});

describe('dashboard shell', () => {
  it('shows the header with broker state and the OTA URL, the tabs and the key hints', async () => {
    ui = await renderDashboard(engine);
    const frame = await ui.waitForText('homie-ota');
    const lines = frame.split('\n');
    expect(lines[0]).toMatch(/^homie-ota {2}MQTT ○ closed .*OTA http:\/\/127\.0\.0\.1:\d+\/ota/);
    expect(lines[1]).toMatch(/1 Devices .* 2 Firmware .* 3 Queue .* 4 Log/);
    expect(lines.at(-1)).toMatch(/\? help {2}q quit/);
  });

  it('switches views with 1-4, Tab and Shift+Tab', async () => {
    engine.log.info('a line for the log view');
    ui = await renderDashboard(engine);
    await ui.waitForText('Devices');
    await ui.press('4');
    await ui.waitForText('a line for the log view');
    await ui.press('2');
    await ui.waitForText('firmware files');
    await ui.press(keys.tab);
    await ui.waitForText(/No OTA jobs/);
    await ui.press(keys.shiftTab, keys.shiftTab);
    await ui.waitForText(/\d+ devices/);
  });

  it('opens a help overlay built from the keymap; every list key scrolls it, Esc or ? closes it, other keys say so', async () => {
    ui = await renderDashboard(engine, {initialView: 'log', rows: 16});
    await ui.press('?');
    const help = await ui.waitForText('Everywhere');
    expect(help).toMatch(/Keys +Esc or \? closes · ↑↓ PgUp PgDn g G scroll/);
    expect(help).toMatch(/1 +Devices view/);
    expect(help).toMatch(/Esc close +j\/k move/);
    const first = () => ui!.frame().split('\n')[3];
    const top = first();
    // each list key moves it, and none closes it
    for (const [key, moved] of [[keys.down, true], ['k', false], ['j', true], [keys.up, false], [keys.pageDown, true], ['g', false],
      ['G', true], [keys.home, false], [keys.end, true], [keys.pageUp, true]] as const) {
      await ui.press(key);
      expect(ui.frame(), `after ${JSON.stringify(key)}`).toMatch(/Esc or \? closes/);
      expect(first() !== top, `scrolled after ${JSON.stringify(key)}`).toBe(moved);
    }
    await ui.press('G');
    await ui.waitForText('(end)');
    expect(ui.frame()).toMatch(/Esc \? +close the help/);
    // a key that does nothing here says how to close
    await ui.press('x');
    await ui.waitForText('that key does nothing here: Esc or ? closes');
    await ui.press('?');
    await ui.waitForText(/lines · following/);
    await ui.press('?', 'q');
    await ui.waitForText('that key does nothing here');
    await ui.press(keys.escape);
    await ui.waitForText(/lines · following/);
    expect(ui.frame()).not.toContain('Everywhere');
  });

  it('a newer message replaces an older one in the footer, whatever its level: a refusal does not outstay a success', async () => {
    engine = createEngine(testConfig(dir, {brokerPort: '0', readonly: true}));
    ui = await renderDashboard(engine);
    await ui.waitForText('Devices');
    const footerMessage = () => ui!.frame().split('\n').at(-2);
    engine.notice('firmware', 'error', 'Upload of x.bin refused: not an ESP image');
    await ui.waitForText('Upload of x.bin refused');
    engine.notice('firmware', 'info', 'Filed relay.bin as relay-1.0.0.bin');
    await ui.waitForText('Filed relay.bin as relay-1.0.0.bin');
    expect(footerMessage()).toBe('Filed relay.bin as relay-1.0.0.bin');
    // a key --readonly refuses, then a success right after: the success shows
    await ui.press('u');
    await ui.waitForText('read-only mode (--readonly)');
    engine.notice('ota', 'info', 'kitchen: updated to relay 1.1.0 ✓');
    await ui.waitForText('kitchen: updated to relay 1.1.0 ✓');
    expect(footerMessage()).toBe('kitchen: updated to relay 1.1.0 ✓');
  });

  it('quits with q and with Ctrl+C', async () => {
    ui = await renderDashboard(engine);
    await ui.waitForText('homie-ota');
    await ui.press('q');
    await ui.exited;
    const second = await renderDashboard(createEngine(testConfig(dir, {brokerPort: '0'})));
    await second.waitForText('homie-ota');
    await second.press(keys.ctrlC);
    await second.exited;
    second.unmount();
  });

  it('never draws more lines than the terminal minus one, and reflows on resize', async () => {
    for (let i = 0; i < 100; i++) engine.log.info(`line ${i} ${'x'.repeat(150)}`);
    ui = await renderDashboard(engine, {columns: 80, rows: 24, initialView: 'log'});
    await ui.waitForText('line 99');
    expect(ui.frame().split('\n').length).toBeLessThanOrEqual(23);
    for (const line of ui.frame().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    ui.resize(60, 15);
    await ui.waitForText('line 99');
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(ui.frame().split('\n').length).toBeLessThanOrEqual(14);
    for (const line of ui.frame().split('\n')) expect(line.length).toBeLessThanOrEqual(60);
  });

  it('moves a cursor over the log, stops following while it is up, follows again with f; l cycles the level', async () => {
    for (let i = 0; i < 60; i++) engine.log.info(`entry ${i}`);
    ui = await renderDashboard(engine, {rows: 20, initialView: 'log'});
    await ui.waitForText('entry 59');
    await ui.press('k', 'k', 'k');
    await ui.waitForText('3 newer below (f follows)');
    engine.log.warn('fresh warning');
    // the cursor keeps its line and the view stays put while new lines arrive
    await ui.waitForText('4 newer below');
    expect(ui.frame()).not.toContain('fresh warning');
    expect(ui.frame()).toContain('entry 59');
    await ui.press('f');
    await ui.waitForText('fresh warning');
    await ui.waitForText('· following');
    await ui.press('l', 'l');
    const filtered = await ui.waitForText('warn and above');
    expect(filtered).not.toContain('entry 10');
  });

  it('reads a long log line whole: Enter opens the line under the cursor wrapped, w wraps them all', async () => {
    engine.log.info(`start ${'a'.repeat(100)} middle ${'b'.repeat(60)} the-end`);
    engine.log.info('a short one');
    ui = await renderDashboard(engine, {columns: 80, rows: 24, initialView: 'log'});
    await ui.waitForText('a short one');
    expect(ui.frame()).not.toContain('the-end');
    await ui.press('k', keys.enter);
    const opened = await ui.waitForText('the-end');
    expect(opened).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}INFO {2}\w+$/m);
    expect(opened).toContain('Esc back to the log');
    await ui.press(keys.escape);
    await ui.waitForText('a short one');
    await ui.press('w');
    const wrapped = await ui.waitForText('wrapped (w cuts)');
    expect(wrapped).toContain('the-end');
    for (const line of wrapped.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    await ui.press('w');
    await ui.waitForText(/lines · \d+ newer below \(f follows\)$/m);
    expect(ui.frame()).not.toContain('the-end');
  });

  it('escapes control characters from device data before they reach the terminal', async () => {
    engine.log.info('device says \u001B[2Jcleared\u0007');
    ui = await renderDashboard(engine, {initialView: 'log'});
    const frame = await ui.waitForText('cleared');
    expect(frame).toContain('\\x1b[2Jcleared\\x07');
  });
});
