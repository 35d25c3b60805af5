import {PassThrough} from 'node:stream';
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {ChangeNotifier} from '../../src/engine/inventory/change-notifier.js';
import type {DeviceRecord, DeviceState} from '../../src/engine/inventory/types.js';
import {DeviceChanges, type DeviceLine} from '../../src/headless/device-lines.js';
import {DeviceReport, LINES_PER_SECOND} from '../../src/headless/device-report.js';
import {LineWriter, REPEAT_REPORT_MS} from '../../src/headless/line-writer.js';

/** What a stream received, line by line, without the time stamps. */
function collect(): {out: PassThrough; lines: () => string[]} {
  const out = new PassThrough();
  let text = '';
  out.on('data', chunk => (text += chunk));
  return {out, lines: () => text.split('\n').filter(Boolean).map(l => l.replace(/^\S+ /, ''))};
}

const device = (id: string, state: DeviceState, version = '1.0.0'): DeviceRecord =>
  ({key: `homie/${id}`, id, prefix: 'homie', homie: '3.0.1', state, online: ['ready', 'init', 'alert'].includes(state), confirmed: true, fw: {name: 'relay', version}, ip: '10.0.0.9'}) as DeviceRecord;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('the headless line writer', () => {
  it('never prints a line twice in a row: repeats are counted, and the count is printed', async () => {
    const {out, lines} = collect();
    const writer = new LineWriter(out);
    for (let i = 0; i < 13; i++) writer.write(Date.now(), 'warn', 'http', 'slow client cut after 16 s');
    writer.write(Date.now(), 'info', 'ota', 'j-3 done');
    expect(lines()).toEqual(['WARN  http: slow client cut after 16 s', 'WARN  http: … (the line above repeated 12 more times)', 'INFO  ota: j-3 done']);
    // a run of repeats with nothing after it is told after a while, not held for ever
    writer.write(Date.now(), 'info', 'ota', 'j-3 done');
    await vi.advanceTimersByTimeAsync(REPEAT_REPORT_MS);
    expect(lines().at(-1)).toBe('INFO  ota: … (the line above repeated 1 more time)');
  });

  it('does not say the area twice ("demo: demo: …")', () => {
    const {out, lines} = collect();
    new LineWriter(out).write(Date.now(), 'info', 'demo', 'demo: 2 update(s) started');
    expect(lines()).toEqual(['INFO  demo: 2 update(s) started']);
  });
});

describe('device lines', () => {
  it('one line when a device appears, goes lost, comes back, runs other firmware or leaves; nothing for the rest', () => {
    const records = new Map<string, DeviceRecord>([['homie/a', device('a', 'ready')]]);
    const changes = new DeviceChanges(records.values());
    const get = (key: string) => records.get(key);
    const text = (lines: DeviceLine[]) => lines.map(l => l.text());
    const t0 = Date.now();
    // known from the start: not news; a stats change is not either
    expect(changes.update(['homie/a'], get, t0)).toEqual([]);
    records.set('homie/b', device('b', 'init'));
    expect(text(changes.update(['homie/b'], get, t0))).toEqual(['homie/b appeared (init, relay 1.0.0, 10.0.0.9)']);
    records.set('homie/b', device('b', 'ready'));
    expect(changes.update(['homie/b'], get, t0)).toEqual([]);
    records.set('homie/a', device('a', 'lost'));
    expect(changes.update(['homie/a'], get, t0)).toMatchObject([{level: 'warn', change: 'lost'}]);
    records.set('homie/a', device('a', 'ready', '1.1.0'));
    expect(text(changes.update(['homie/a'], get, t0 + 65_000))).toEqual(['homie/a is back: ready after 1m 5s (was lost); now runs relay 1.1.0 (was relay 1.0.0)']);
    records.set('homie/a', device('a', 'sleeping', '1.1.0'));
    expect(changes.update(['homie/a'], get, t0)).toEqual([]);
    records.delete('homie/b');
    expect(text(changes.update(['homie/b'], get, t0))).toEqual(['homie/b left the inventory (forgotten, or its topics were cleared)']);
    expect({total: changes.total, online: changes.online}).toEqual({total: 1, online: 0});
  });

  it('many at once: a few lines, then one count per second while the burst lasts, then lines again', async () => {
    const printed: string[] = [];
    const report = new DeviceReport(line => printed.push(line.text()), text => printed.push(text), () => ({total: 20_000, online: 19_990}));
    const appeared = (n: number, from = 0): DeviceLine[] => Array.from({length: n}, (_, i) => ({change: 'appeared', level: 'info', text: () => `d${from + i} appeared`}));
    report.add(appeared(12_000));
    await vi.advanceTimersByTimeAsync(1000);
    expect(printed).toEqual([
      ...Array.from({length: LINES_PER_SECOND}, (_, i) => `d${i} appeared`),
      `and ${(12_000 - LINES_PER_SECOND).toLocaleString('en-US')} more device changes in the last second: ${(12_000 - LINES_PER_SECOND).toLocaleString('en-US')} appeared; 20,000 devices known, 19,990 online (GET /api/devices lists them)`,
    ]);
    printed.length = 0;
    report.add(appeared(7_998, 12_000));
    report.add([{change: 'lost', level: 'warn', text: () => 'x is lost'}, {change: 'lost', level: 'warn', text: () => 'y is lost'}]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(printed).toEqual(['8,000 device changes in the last second: 7,998 appeared, 2 lost or disconnected; 20,000 devices known, 19,990 online (GET /api/devices lists them)']);
    printed.length = 0;
    // the burst is over: the next few are told one by one
    report.add([{change: 'back', level: 'info', text: () => 'x is back'}]);
    await vi.advanceTimersByTimeAsync(1000);
    report.add([{change: 'lost', level: 'warn', text: () => 'z is lost'}]);
    expect(printed).toEqual(['x is back', 'that was the last of them: 20,000 devices known, 19,990 online', 'z is lost']);
  });

  it('the inventory tells every key of a fast change, even when its usual event only says "many"', async () => {
    const events: Array<readonly string[]> = [];
    const fast: Array<readonly string[]> = [];
    const notifier = new ChangeNotifier(keys => events.push(keys), Date.now, keys => fast.push(keys));
    for (let i = 0; i < 20_000; i++) notifier.changed(`homie/d${i}`, true);
    notifier.changed('homie/stats-only', false);
    await vi.advanceTimersByTimeAsync(50);
    expect(events).toEqual([[]]);
    expect(fast).toHaveLength(1);
    expect(fast[0]).toHaveLength(20_000);
    expect(fast[0]).not.toContain('homie/stats-only');
    notifier.dispose();
  });
});
