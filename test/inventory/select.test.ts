import {describe, expect, it} from 'vitest';
import {parseFilter} from '../../src/engine/inventory/filter.js';
import type {DeviceRecord} from '../../src/engine/inventory/types.js';
import {contentWidths, layoutFor, LEAD_WIDTH, UPDATE_WIDTH} from '../../src/ui/views/devices/columns.js';
import {signalBar} from '../../src/ui/views/devices/format.js';
import {selectRows, type RowQuery} from '../../src/ui/views/devices/select.js';
import {comparator, naturalKey, versionKey} from '../../src/ui/views/devices/sort-keys.js';

const rec = (i: number, over: Partial<DeviceRecord> = {}): DeviceRecord => ({
  key: `homie/dev-${i}`, id: `dev-${i}`, prefix: 'homie', homie: '3.0.1', state: 'ready', online: true, confirmed: true,
  fw: {name: i % 2 ? 'relay' : 'sensor', version: `1.${i % 5}.0`}, uptime: (i * 7919) % 1000, signal: (i * 31) % 100, updateAvailable: false, ...over,
});

const query = (text: string, sort: RowQuery['sort'] = 'id', desc = false): RowQuery => ({filter: parseFilter(text), sort, desc});

describe('sort keys', () => {
  it('orders ids naturally, versions semver-like (pre-release first), missing values last', () => {
    const ids = ['dev-10', 'dev-2', 'Dev-1', 'dev-02b'];
    expect(ids.sort((a, b) => (naturalKey(a) < naturalKey(b) ? -1 : 1))).toEqual(['Dev-1', 'dev-2', 'dev-02b', 'dev-10']);
    const versions = ['1.10.0', '1.2.0', '1.2.0-beta', 'v1.9', '2019.01.05'];
    expect(versions.sort((a, b) => (versionKey(a) < versionKey(b) ? -1 : 1))).toEqual(['1.2.0-beta', '1.2.0', 'v1.9', '1.10.0', '2019.01.05']);
    const list = [rec(1, {uptime: undefined}), rec(2, {uptime: 5}), rec(3, {uptime: 9})];
    expect([...list].sort(comparator('uptime', false)).map(r => r.id)).toEqual(['dev-2', 'dev-3', 'dev-1']);
    expect([...list].sort(comparator('uptime', true)).map(r => r.id)).toEqual(['dev-3', 'dev-2', 'dev-1']);
  });

  it('puts problems first when sorting by state, and unconfirmed devices after the confirmed ones', () => {
    const list = [rec(1), rec(2, {state: 'lost'}), rec(3, {state: 'sleeping'}), rec(4, {state: 'lost', confirmed: false}), rec(5, {state: 'alert'})];
    expect(list.sort(comparator('state', false)).map(r => r.id)).toEqual(['dev-5', 'dev-2', 'dev-3', 'dev-1', 'dev-4']);
  });
});

describe('row selection', () => {
  const source = Array.from({length: 2000}, (_, i) => rec(i));

  it('filters and sorts on a new query, reuses the result when nothing changed', () => {
    const q = query('fw:relay', 'uptime', true);
    const first = selectRows(undefined, source, q);
    expect(first.how).toBe('full');
    expect(first.rows.every(r => r.fw.name === 'relay')).toBe(true);
    expect(first.rows.length).toBe(1000);
    for (let i = 1; i < first.rows.length; i++) expect(first.rows[i - 1]!.uptime! >= first.rows[i]!.uptime!).toBe(true);
    expect(selectRows(first, source, q)).toBe(first);
  });

  it('swaps changed records in place when neither their match nor their sort value changed', () => {
    const q = query('fw:relay', 'uptime');
    const first = selectRows(undefined, source, q);
    const next = source.slice();
    next[5] = {...source[5]!, signal: 1, name: 'renamed'};
    const second = selectRows(first, next, q);
    expect(second.how).toBe('patched');
    expect(second.rows[second.index.get('homie/dev-5')!]).toBe(next[5]);
    expect(second.rows.map(r => r.key)).toEqual(first.rows.map(r => r.key));
  });

  it('re-sorts when a sort value or a match changes, and always equals a full recomputation', () => {
    const q = query('fw:relay -state:lost', 'uptime');
    let selection = selectRows(undefined, source, q);
    let current = source;
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 30; round++) {
      const next = current.slice();
      for (let k = 0; k < 20; k++) {
        const i = Math.floor(random() * next.length);
        const r = next[i]!;
        next[i] = {...r, uptime: Math.floor(random() * 1000), state: random() < 0.1 ? 'lost' : 'ready', fw: {...r.fw, name: random() < 0.1 ? 'sensor' : r.fw.name}};
      }
      selection = selectRows(selection, next, q);
      expect(['patched', 'resorted']).toContain(selection.how);
      const fresh = selectRows(undefined, next, q);
      expect(selection.rows.map(r => r.key)).toEqual(fresh.rows.map(r => r.key));
      expect(selection.rows.every((r, i) => r === fresh.rows[i])).toBe(true);
      current = next;
    }
  });

  it('recomputes fully when devices come or go', () => {
    const q = query('');
    const first = selectRows(undefined, source, q);
    expect(selectRows(first, source.slice(1), q).how).toBe('full');
  });
});

describe('table layout and glyphs', () => {
  // widest id, name, IP, uptime, firmware, version, Homie of the demo fleet
  const demo = [17, 22, 10, 6, 13, 5, 5];
  const widths = (w: number, widest = demo) => Object.fromEntries(layoutFor(w, widest).columns.map(c => [c.column.id, c.width]));
  const used = (w: number, widest = demo) => LEAD_WIDTH + UPDATE_WIDTH + layoutFor(w, widest).columns.reduce((sum, c) => sum + c.width + 1, 0);

  it('gives the IDs their room first: NAME and HOMIE make way, IP and UPTIME keep no spare padding', () => {
    expect(widths(120)).toEqual({id: 17, name: 22, ip: 10, uptime: 7, fw: 13, version: 8, homie: 6});
    // 80 columns: the name goes, every ID stays whole, and nothing is padded beyond its widest value
    expect(widths(80)).toEqual({id: 17, ip: 10, uptime: 7, fw: 13, version: 8, homie: 6});
    // long IDs: HOMIE goes too before an ID is cut
    expect(widths(80, [28, 22, 10, 6, 13, 5, 5])).toMatchObject({id: 28, ip: 10});
    expect(Object.keys(widths(80, [28, 22, 10, 6, 13, 5, 5]))).not.toContain('homie');
    // narrower still: columns are dropped by their order, the ID last
    expect(Object.keys(widths(56))).toEqual(['id', 'uptime', 'fw', 'version']);
    expect(Object.keys(widths(50))).toEqual(['id', 'fw', 'version']);
  });

  it('never exceeds the width, whatever the content', () => {
    for (const widest of [demo, [], [128, 200, 39, 9, 32, 16, 7], [1, 1, 1, 1, 1, 1, 1]]) {
      for (const w of [40, 50, 60, 80, 100, 120, 200]) expect(used(w, widest), `${w} ${widest.join(',')}`).toBeLessThanOrEqual(w);
    }
  });

  it('measures values in terminal cells', () => {
    const record = (id: string, name: string) => ({id, name, fw: {}, homie: '3.0.1'}) as unknown as DeviceRecord;
    expect(contentWidths([record('厨房灯', '🔥 heater'), record('ab', 'x')]).slice(0, 2)).toEqual([6, 9]);
  });

  it('draws the signal as four bars with a tone', () => {
    expect(signalBar(100)).toEqual({text: '▂▄▆█', tone: 'ok'});
    expect(signalBar(65)).toEqual({text: '▂▄▆·', tone: 'ok'});
    expect(signalBar(40)).toEqual({text: '▂▄··', tone: 'warn'});
    expect(signalBar(10)).toEqual({text: '▂···', tone: 'error'});
    expect(signalBar(undefined)).toEqual({text: '····', tone: 'muted'});
  });
});
