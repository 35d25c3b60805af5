import {describe, expect, it} from 'vitest';
import {DeviceEntry} from '../../src/engine/inventory/device.js';
import {FirmwareIndex} from '../../src/engine/inventory/firmware-index.js';
import {buildRecord} from '../../src/engine/inventory/record.js';
import {RecordList} from '../../src/engine/inventory/record-list.js';

/** The list's identity contract (consumers compare by identity) with in-place updates for the counts. */
describe('the record list', () => {
  const context = {firmware: new FirmwareIndex([]), stateOf: () => undefined};
  const build = (entry: DeviceEntry) => buildRecord(entry, context);
  const fleet = () => {
    const entries = new Map<string, DeviceEntry>();
    for (const id of ['a', 'b', 'c']) {
      const entry = new DeviceEntry('homie', id, false, true);
      entry.set('$state', 'ready');
      entries.set(entry.key, entry);
    }
    return entries;
  };
  const setState = (entries: Map<string, DeviceEntry>, list: RecordList, id: string, state: string) => {
    entries.get(`homie/${id}`)!.set('$state', state);
    list.changed(`homie/${id}`);
  };

  it('never changes an array it handed out; counts per state follow every change without handing one out', () => {
    const entries = fleet();
    const list = new RecordList();
    const first = list.list(entries, build);
    expect(list.states).toEqual({ready: 3});
    setState(entries, list, 'a', 'lost');
    list.update(entries, build);
    expect(list.states).toEqual({ready: 2, lost: 1});
    expect(list.online).toBe(2);
    // the array handed out before is as it was
    expect(first.map(r => r.state)).toEqual(['ready', 'ready', 'ready']);
    setState(entries, list, 'b', 'sleeping');
    list.update(entries, build);
    expect(list.states).toEqual({ready: 1, lost: 1, sleeping: 1});
    const second = list.list(entries, build);
    expect(second).not.toBe(first);
    expect(second.map(r => r.state)).toEqual(['lost', 'sleeping', 'ready']);
    expect(list.list(entries, build)).toBe(second);
    setState(entries, list, 'c', 'lost');
    const third = list.list(entries, build);
    expect(third).not.toBe(second);
    expect(second.map(r => r.state)).toEqual(['lost', 'sleeping', 'ready']);
    expect(third.map(r => r.state)).toEqual(['lost', 'sleeping', 'lost']);
    expect(list.states).toEqual({lost: 2, sleeping: 1});
  });

  it('appends devices that come, in the order they came, with the counts, as a full rebuild would list them', () => {
    const entries = fleet();
    const list = new RecordList();
    list.update(entries, build);
    let builds = 0;
    const counted = (entry: DeviceEntry) => {
      builds++;
      return build(entry);
    };
    for (const id of ['z', 'm']) {
      const entry = new DeviceEntry('homie', id, false, true);
      entry.set('$state', id === 'z' ? 'lost' : 'ready');
      entries.set(entry.key, entry);
      list.changed(entry.key);
    }
    setState(entries, list, 'a', 'init');
    const appended = list.list(entries, counted);
    // the two that came and the one that changed, not the whole list again
    expect(builds).toBe(3);
    expect(appended.map(r => `${r.id}:${r.state}`)).toEqual(['a:init', 'b:ready', 'c:ready', 'z:lost', 'm:ready']);
    expect(list.states).toEqual({init: 1, ready: 3, lost: 1});
    expect(list.online).toBe(4);
    const rebuilt = new RecordList().list(entries, build);
    expect(appended.map(r => r.key)).toEqual(rebuilt.map(r => r.key));
  });
});
