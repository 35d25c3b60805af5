import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {DeviceEntry} from '../../src/engine/inventory/device.js';
import {loadInventory, parseInventory, saveInventory} from '../../src/engine/inventory/persistence.js';
import {SaveScheduler} from '../../src/engine/inventory/save-scheduler.js';
import {createEngine} from '../../src/engine/engine.js';
import {testConfig} from '../helpers/config.js';
import {tempDir} from '../helpers/tmp.js';
import {freePort} from '../helpers/ports.js';
import {getJson} from '../helpers/http.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(() => cleanup());

function device(id: string, topics: Record<string, string>, v5 = false): DeviceEntry {
  const e = new DeviceEntry('homie', id, v5, true);
  for (const [k, v] of Object.entries(topics)) e.set(k, v);
  e.lastSeen = 1_700_000_000_000;
  return e;
}

describe('inventory.json', () => {
  it('round-trips every topic, odd characters included, one device per line', async () => {
    const file = path.join(dir, 'inventory.json');
    const odd = 'quote " backslash \\ newline \n nul \u0000 emoji 🚀';
    await saveInventory(file, [device('a', {'$state': 'ready', '$name': odd}), device('b c', {'$state': 'init'}, true)], Date.now());
    const text = fs.readFileSync(file, 'utf8');
    expect(text.split('\n').length).toBe(5);
    const loaded = parseInventory(text, 'homie');
    expect(loaded.entries.map(e => [e.key, e.confirmed, e.lastSeen])).toEqual([['homie/a', false, 1_700_000_000_000], ['homie/5/b c', false, 1_700_000_000_000]]);
    expect(loaded.entries[0]!.get('$name')).toBe(odd);
  });

  it('keeps a file that does not load aside, never deletes it, and starts empty', async () => {
    const file = path.join(dir, 'inventory.json');
    fs.writeFileSync(file, '{"format":"homie-ota-inventory","devices":[{"prefix":"homie","id":"a","topics":{');
    const result = await loadInventory(file, 'homie', Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(result.entries).toEqual([]);
    expect(result.messages[0]!.text).toMatch(/could not be read .* kept as .*inventory\.json\.bad-2024-01-02T03-04-05-000Z/);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readFileSync(`${file}.bad-2024-01-02T03-04-05-000Z`, 'utf8')).toContain('"id":"a"');
  });

  it('skips unreadable entries but keeps the rest', () => {
    const text = JSON.stringify({format: 'homie-ota-inventory', version: 1, devices: [
      {prefix: 'homie', id: 'ok', topics: {'$state': 'ready'}}, {prefix: 'homie', id: '$bad', topics: {}}, 'junk', {id: 'x'},
      {prefix: 'homie', id: 'ok', topics: {'$state': 'lost'}},
    ]});
    const result = parseInventory(text, 'homie');
    expect(result.entries.map(e => e.key)).toEqual(['homie/ok']);
    expect(result.messages.map(m => m.text)).toEqual([
      'inventory.json: 3 device entries could not be read (not a device record) and were skipped',
      'inventory.json: 1 device entry repeated a device already loaded and was skipped',
    ]);
  });

  it("imports the Python original's inventory.json (and keeps a copy of it)", async () => {
    const file = path.join(dir, 'inventory.json');
    fs.writeFileSync(file, JSON.stringify({
      sensor1: {online: 'true', name: 'Old one', localip: '10.1.1.1', fwname: 'temp', fwversion: '1.0.0', uptime: '100'},
      sensor2: {homie: '2.0.0', state: "b'ready'", fwname: "b'fleet'", fwversion: '2.0', signal: '80'},
    }));
    const result = await loadInventory(file, 'devices', Date.now());
    const [one, two] = result.entries;
    expect(one!.key).toBe('devices/sensor1');
    expect(Object.fromEntries(one!.topics)).toEqual({'$online': 'true', '$name': 'Old one', '$localip': '10.1.1.1', '$fwname': 'temp', '$fwversion': '1.0.0', '$uptime': '100'});
    expect(Object.fromEntries(two!.topics)).toEqual({'$homie': '2.0.0', '$state': 'ready', '$fw/name': 'fleet', '$fw/version': '2.0', '$stats/signal': '80'});
    expect(fs.existsSync(`${file}.original`)).toBe(true);
  });

  it('shows saved devices at start, unconfirmed, while the broker is unreachable', async () => {
    const fwDir = path.join(dir, 'firmwares');
    fs.mkdirSync(fwDir, {recursive: true});
    await saveInventory(path.join(fwDir, 'inventory.json'), [device('kitchen', {'$state': 'ready', '$homie': '3.0.1', '$fw/name': 'relay'})], Date.now());
    const port = await freePort();
    const engine = createEngine(testConfig(dir, {mqtt: `mqtt://127.0.0.1:${port}`}));
    await engine.start();
    try {
      const list = await getJson(`http://127.0.0.1:${engine.http.boundPort}/api/devices`);
      expect(list).toEqual([expect.objectContaining({key: 'homie/kitchen', state: 'ready', confirmed: false, fw: {name: 'relay'}})]);
    } finally {
      await engine.stop();
    }
  });
});

describe('save scheduling', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('saves important changes about a second later, at most once a second, and volatile ones within a minute', async () => {
    const saves: number[] = [];
    const scheduler = new SaveScheduler(async () => void saves.push(Date.now()), Date.now);
    const start = Date.now();
    scheduler.mark('important');
    for (let i = 0; i < 50; i++) {
      scheduler.mark('important');
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(saves.length).toBeGreaterThanOrEqual(4);
    expect(saves.length).toBeLessThanOrEqual(5);
    for (let i = 1; i < saves.length; i++) expect(saves[i]! - saves[i - 1]!).toBeGreaterThanOrEqual(1000);
    expect(saves[0]! - start).toBeGreaterThanOrEqual(1000);
    const before = saves.length;
    await vi.advanceTimersByTimeAsync(5000);
    scheduler.mark('volatile');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(saves.length).toBe(before);
    await vi.advanceTimersByTimeAsync(31_000);
    expect(saves.length).toBe(before + 1);
    scheduler.mark('volatile');
    await scheduler.flush();
    expect(saves.length).toBe(before + 2);
    scheduler.dispose();
  });
});
