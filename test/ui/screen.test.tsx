import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {createEngine} from '../../src/engine/engine.js';
import {DeviceEntry} from '../../src/engine/inventory/device.js';
import {saveInventory} from '../../src/engine/inventory/persistence.js';
import type {DashboardSnapshot} from '../../src/store/dashboard-store.js';
import {cellWidth} from '../../src/ui/cells.js';
import {fitHints} from '../../src/ui/components/footer.js';
import {headerLines} from '../../src/ui/components/header-lines.js';
import {hintsFor} from '../../src/ui/keymap.js';
import {SORT_MARK, toneColor} from '../../src/ui/theme.js';
import {STATE_LOOK as DEVICE_LOOK, UNCONFIRMED_GLYPH} from '../../src/ui/views/devices/format.js';
import {STATE_LOOK as JOB_LOOK} from '../../src/ui/views/queue/format.js';
import {clockTime, dateTime, dayOrClock} from '../../src/ui/time.js';
import {rowText} from '../../src/ui/views/devices/device-table.js';
import {layoutFor} from '../../src/ui/views/devices/columns.js';
import {testConfig} from '../helpers/config.js';
import {freePort} from '../helpers/ports.js';
import {dashboardContext, keys, renderDashboard, type RenderedDashboard} from '../helpers/render-ui.js';

const URL = 'http://homie-ota.workshop.example.lan:19080/ota';

function snapshot(over: {state?: 'connected' | 'reconnecting'; lastError?: string; clients?: number; otaUrl?: string; readonly?: boolean} = {}): DashboardSnapshot {
  return {
    now: 60_000,
    mqtt: {state: over.state ?? 'connected', url: 'mqtt://127.0.0.1:1883', since: 48_000, lastError: over.lastError, connects: 1},
    embeddedBroker: {port: 1883, clients: over.clients ?? 12},
    otaUrl: over.otaUrl ?? URL,
    readonly: over.readonly ?? false,
  } as unknown as DashboardSnapshot;
}

const text = (lines: ReturnType<typeof headerLines>) => lines.map(line => line.map(s => s.text).join(''));

describe('the header line', () => {
  it('keeps the OTA URL whole: the client count, the broker label and words make way first', () => {
    expect(text(headerLines(snapshot(), 120))).toEqual([`homie-ota  MQTT ● connected embedded :1883, 12 clients  OTA ${URL}`]);
    expect(text(headerLines(snapshot(), 100))).toEqual([`homie-ota  MQTT ● connected embedded :1883  OTA ${URL}`]);
    expect(text(headerLines(snapshot(), 80))).toEqual([`homie-ota  MQTT ● connected  OTA ${URL}`]);
    expect(text(headerLines(snapshot(), 70))).toEqual([`● connected  OTA ${URL}`]);
    // read-only outranks the state word
    expect(text(headerLines(snapshot({readonly: true}), 70))).toEqual([`●  OTA ${URL} [read-only]`]);
    // narrower than the URL: it gets lines of its own, broken only at the width
    const narrow = text(headerLines(snapshot(), 40));
    expect(narrow[0]).toBe('homie-ota  MQTT ● connected');
    expect(narrow.slice(1).join('')).toBe(`OTA ${URL}`);
    for (const width of [40, 60, 64, 70, 80, 100]) {
      const lines = text(headerLines(snapshot(), width));
      for (const line of lines) expect(cellWidth(line), `${width}: ${line}`).toBeLessThanOrEqual(width);
      expect(lines.join('')).toContain(URL);
    }
  });

  it('shortens a connection error before it touches the URL', () => {
    const error = 'connect ECONNREFUSED 192.168.1.20:1883 (is the broker running? check MQTT_HOST)';
    expect(text(headerLines(snapshot({state: 'reconnecting', lastError: error}), 200))).toEqual([`homie-ota  MQTT ◌ reconnecting 12s: ${error} (embedded :1883)  OTA ${URL}`]);
    const [line] = text(headerLines(snapshot({state: 'reconnecting', lastError: error}), 130));
    expect(line).toMatch(/^homie-ota {2}MQTT ◌ reconnecting 12s: connect ECONNREFUSED 192\.168\.1\.20:1883.*… {2}OTA http:\/\/homie-ota\.workshop\.example\.lan:19080\/ota$/);
    expect(cellWidth(line!)).toBeLessThanOrEqual(130);
  });
});

describe('the footer', () => {
  it('always ends with "? help  q quit" and drops whole hints, lowest priority first', () => {
    const hints = hintsFor(['devices', 'list', 'global'], false);
    const line = (width: number) => fitHints(hints, width).map(h => `${h.keys} ${h.label}`).join('  ');
    expect(line(200)).toBe('Enter detail  / filter  > sort  Space mark  u update  D forget  j/k move  ? help  q quit');
    expect(line(80)).toBe('Enter detail  / filter  > sort  Space mark  u update  D forget  ? help  q quit');
    expect(line(40)).toBe('Enter detail  / filter  ? help  q quit');
    expect(line(10)).toBe('? help  q quit');
  });
});

describe('colour and NO_COLOR', () => {
  const before = process.env.NO_COLOR;
  afterEach(() => {
    if (before === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = before;
  });

  it('resolves every tone to no colour under NO_COLOR, and rows carry no colour codes', () => {
    const record = {key: 'homie/a', id: 'a', prefix: 'homie', homie: '3.0.1', state: 'lost', online: false, confirmed: false, fw: {name: 'relay', version: '1.0.0'}, signal: 20, updateAvailable: true} as never;
    delete process.env.NO_COLOR;
    expect(toneColor('error')).toBe('red');
    expect(rowText(record, layoutFor(80), true)).toMatch(/\u001B\[31m/);
    process.env.NO_COLOR = '1';
    expect(toneColor('error')).toBeUndefined();
    const row = rowText(record, layoutFor(80), true);
    // the mark, the state glyph and the faint (unconfirmed) style remain; no colour
    expect(row).toMatch(/^✓ ◌/);
    expect(row).not.toMatch(/\u001B\[(3\d|9\d)(;|m)/);
    expect(row).toContain('\u001B[2m');
  });
});

describe('glyphs', () => {
  it('never share a meaning: device states, job states and the sort mark are all different', () => {
    const glyphs = [
      ...Object.values(DEVICE_LOOK).map(l => l.glyph), UNCONFIRMED_GLYPH,
      ...Object.values(JOB_LOOK).map(l => l.glyph), SORT_MARK.asc, SORT_MARK.desc,
    ];
    expect(new Set(glyphs).size).toBe(glyphs.length);
    expect(JOB_LOOK.verifying.glyph).not.toBe(DEVICE_LOOK.unknown.glyph);
    expect([SORT_MARK.asc, SORT_MARK.desc]).not.toContain(DEVICE_LOOK.alert.glyph);
  });
});

describe('one date-time format', () => {
  it('writes year first, 24-hour clock, in local time; its parts alone where room is short', () => {
    const t = new Date(2026, 10, 29, 16, 51, 19).getTime();
    expect(dateTime(t)).toBe('2026-11-29 16:51:19');
    expect(clockTime(t)).toBe('16:51:19');
    expect(dayOrClock(t, new Date(2026, 10, 29, 23, 0).getTime())).toBe('16:51:19');
    expect(dayOrClock(t, new Date(2026, 11, 1).getTime())).toBe('2026-11-29');
  });
});

describe('long texts at 80×24', () => {
  const context = dashboardContext();

  /** A dashboard over a remembered device (from inventory.json; the broker is unreachable). */
  async function withDevice(id: string, topics: Record<string, string>, rows = 24): Promise<RenderedDashboard> {
    const dir = context.dir;
    const fwDir = path.join(dir, 'firmwares');
    fs.mkdirSync(fwDir, {recursive: true});
    const entry = new DeviceEntry('homie', id, false, false);
    for (const [topic, value] of Object.entries({$state: 'ready', $homie: '3.0.1', ...topics})) entry.set(topic, value);
    await saveInventory(path.join(fwDir, 'inventory.json'), [entry], Date.now());
    const engine = createEngine(testConfig(dir, {mqtt: `mqtt://127.0.0.1:${await freePort()}`}));
    context.engine = engine;
    await engine.start();
    const ui = await renderDashboard(engine, {columns: 80, rows});
    context.ui = ui;
    await ui.waitForText(id.slice(0, 10));
    return ui;
  }

  const joined = (frame: string) => frame.split('\n').map(line => line.replace(/^[│ ]+|[│ ]+$/g, '')).join(' ');

  it('wraps attribute values in the device detail: a long value is read whole', async () => {
    const config = JSON.stringify({name: 'Kitchen light', wifi: {ssid: 'workshop-2.4GHz-guest-network'}, mqtt: {host: 'broker.workshop.example.lan', port: 1883, base_topic: 'homie/'}, ota: {enabled: true}, settings: {calibration: [1.0125, 0.9987, 1.0003]}});
    // 80 columns, tall enough to see the whole value at once
    const view = await withDevice('kitchen-light', {'$implementation/config': config}, 40);
    await view.press(keys.enter);
    const bottom = await view.waitForText('Attributes as received');
    for (const line of bottom.split('\n')) expect(cellWidth(line)).toBeLessThanOrEqual(80);
    // the value, broken at the width (it has no spaces), continues under itself: all of it is there
    const value = bottom.split('\n').filter(line => /^ {2}\$implementation\/config|^ {33}\S/.test(line)).map(line => line.trim().replace(/^\$implementation\/config +/, '')).join('');
    expect(value).toBe(config);
  });

  it('wraps what an empty Devices view says to do', async () => {
    const engine = createEngine(testConfig(context.dir, {brokerPort: '0'}));
    context.engine = engine;
    const ui = await renderDashboard(engine, {columns: 80, rows: 24});
    context.ui = ui;
    const frame = await ui.waitForText('No devices');
    expect(joined(frame).replace(/ {2,}/g, ' ')).toMatch(/No devices .*homie.* appear .*\./);
    for (const line of frame.split('\n')) expect(cellWidth(line)).toBeLessThanOrEqual(80);
  });

  it('wraps the forget question: the whole device key can be read before y', async () => {
    const id = 'workshop-bench-power-supply-channel-2-relay';
    const view = await withDevice(id, {});
    await view.press('D');
    const dialog = await view.waitForText('y/Enter yes');
    expect(joined(dialog).replace(/ {2,}/g, ' ')).toContain(`Forget homie/${id}? Its retained topics are cleared on the broker.`);
    for (const line of dialog.split('\n')) expect(cellWidth(line)).toBeLessThanOrEqual(80);
    expect(dialog.split('\n').length).toBeLessThanOrEqual(23);
    await view.press('n');
  });
});
