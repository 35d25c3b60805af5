import {afterEach, describe, expect, it} from 'vitest';
import {apply, diff, type Patch} from '../../src/remote/stream-codec.js';
import {LOCAL_FIELDS, streamState} from '../../src/remote/stream-state.js';
import {createEngineSource, type DashboardSource} from '../../src/store/engine-source.js';
import {finished, otaWorld, type OtaWorld} from '../ota/helpers.js';

/** Through the wire: JSON text and back, as the SSE data line carries it. */
const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('the attach stream encoding', () => {
  it('patches turn one state into the next, keep what did not change the same object, and send device rows by key', () => {
    const a = {key: 'homie/a', fw: {version: '1'}};
    const b = {key: 'homie/b', fw: {version: '1'}};
    const c = {key: 'homie/c', fw: {version: '1'}};
    const settings = {prefixes: ['homie']};
    const line = {seq: 1, text: 'x'};
    const before = {now: 1, settings, devices: {total: 3, devices: [a, b, c]}, log: [line], gone: 'soon'};
    const b2 = {key: 'homie/b', fw: {version: '2'}};
    const d = {key: 'homie/d', fw: {version: '1'}};
    const after = {now: 2, settings, devices: {total: 3, devices: [b2, c, d]}, log: [line, {seq: 2, text: 'y'}]};
    const patch = wire(diff(before, after)!);
    // only what changed travels: b's new version and d, a removed by key, one new log line
    expect(patch).toEqual({
      $fields: {
        now: {$set: 2},
        devices: {$fields: {devices: {$keyed: {by: 'key', upsert: [b2, d], remove: ['homie/a']}}}},
        log: {$keyed: {by: 'seq', upsert: [{seq: 2, text: 'y'}], remove: []}},
      },
      $drop: ['gone'],
    });
    const applied = apply(wire(before), patch) as typeof after & {gone?: string};
    expect(applied).toEqual(after);
    expect(applied.gone).toBeUndefined();
    expect(diff(after, after)).toBeNull();

    // a reorder that upserts alone cannot give travels as the order of keys
    const shuffled = {...after, devices: {total: 3, devices: [d, b2, c]}};
    const reorder = wire(diff(after, shuffled)!) as unknown as {$fields: {devices: {$fields: {devices: {$keyed: {order?: string[]; upsert: unknown[]}}}}}};
    expect(reorder.$fields.devices.$fields.devices.$keyed).toEqual({by: 'key', upsert: [], remove: [], order: ['homie/d', 'homie/b', 'homie/c']});
    const held = wire(after);
    const next = apply(held, reorder as unknown as Patch) as typeof after;
    expect(next).toEqual(shuffled);
    // untouched subtrees stay the same objects (React skips them)
    expect(next.settings).toBe(held.settings);
    expect(next.log).toBe(held.log);
    expect(next.devices.devices[1]).toBe(held.devices.devices[0]);
  });

  it('sends a list whose identities repeat whole, losing no element', () => {
    const before = {rows: [{id: 'a', v: 1}, {id: 'b', v: 1}]};
    const after = {rows: [{id: 'a', v: 1}, {id: 'a', v: 2}, {id: 'b', v: 1}]};
    expect(apply(wire(before), wire(diff(before, after)!))).toEqual(after);
    expect(apply(wire(after), wire(diff(after, before)!))).toEqual(before);
  });

  it('follows a long random walk of keyed rows without a row kept twice or lost', () => {
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    let server: Array<{key: string; v: number}> = Array.from({length: 50}, (_, i) => ({key: `k${i}`, v: 0}));
    let client = wire({rows: server}) as {rows: typeof server};
    let nextKey = 50;
    for (let step = 0; step < 300; step++) {
      const rows = [...server];
      const roll = random();
      if (roll < 0.3 && rows.length > 0) rows.splice(Math.floor(random() * rows.length), 1);
      else if (roll < 0.6) rows.splice(Math.floor(random() * (rows.length + 1)), 0, {key: `k${nextKey++}`, v: step});
      else if (roll < 0.8 && rows.length > 1) rows.reverse();
      else if (rows.length > 0) {
        const i = Math.floor(random() * rows.length);
        rows[i] = {...rows[i]!, v: step};
      }
      const patch = diff({rows: server}, {rows});
      if (patch) client = apply(client, wire(patch)) as typeof client;
      server = rows;
      expect(client.rows).toEqual(server);
    }
  });

  describe('on a real engine', () => {
    let world: OtaWorld | null = null;
    let source: DashboardSource | null = null;
    afterEach(async () => {
      source?.store.dispose();
      source = null;
      await world?.close();
      world = null;
    });

    it('carries every snapshot field but the local ones through the wire, equal to what the local dashboard reads', async () => {
      world = await otaWorld({specs: [{id: 'one', generation: 'v3', fw: {name: 'relay', version: '1.0.0'}}, {id: 'two', generation: 'v3', fw: {name: 'relay', version: '1.0.0'}}]});
      source = createEngineSource(world.engine, {intervalMs: 10});
      const created = await source.actions.createUpdate({deviceKeys: ['homie/one'], firmware: {name: 'relay', version: '1.1.0'}});
      await finished(world.engine, created.jobs[0]!.id);
      source.store.flush();
      const first = source.store.getSnapshot();
      // every field is a field the stream knows how to carry: plain data that JSON gives back equal
      // (a Map, a Date, a class instance or a function added to the snapshot fails here)
      const sent = wire({state: streamState(first)}).state;
      expect(sent).toEqual(streamState(first));
      expect(Object.keys(sent).sort()).toEqual(Object.keys(first).filter(k => !(LOCAL_FIELDS as readonly string[]).includes(k)).sort());
      for (const field of Object.keys(first)) {
        if ((LOCAL_FIELDS as readonly string[]).includes(field)) continue;
        expect((sent as Record<string, unknown>)[field], field).toEqual((first as unknown as Record<string, unknown>)[field]);
      }
      expect(first.jobs.jobs).toHaveLength(1);

      // and a change travels as a patch that gives the same state
      world.engine.notice('test', 'info', 'a line for the log');
      await world.fleet.device('two')!.goOffline({will: true});
      await new Promise(resolve => setTimeout(resolve, 300));
      source.store.flush();
      const second = source.store.getSnapshot();
      const patch = wire(diff(streamState(first), streamState(second))!);
      expect(apply(sent, patch)).toEqual(streamState(second));
    });
  });
});
