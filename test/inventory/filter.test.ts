import {describe, expect, it} from 'vitest';
import {matchesFilter, parseFilter} from '../../src/engine/inventory/filter.js';
import type {DeviceRecord} from '../../src/engine/inventory/types.js';

const rec = (over: Partial<DeviceRecord>): DeviceRecord => ({
  key: `homie/${over.id ?? 'x'}`, id: 'x', prefix: 'homie', homie: '3.0.1', state: 'ready', online: true, confirmed: true,
  fw: {name: 'relay', version: '1.0.0'}, updateAvailable: false, ...over,
});

const devices = [
  rec({id: 'kitchen', name: 'Kitchen light', ip: '10.0.0.5', fw: {name: 'relay-board', version: '1.2.0'}}),
  rec({id: 'garage', state: 'lost', online: false, fw: {name: 'door', version: '2.0.0'}, updateAvailable: true, mac: 'AA:BB:CC:00:11:22'}),
  rec({id: 'attic', state: 'sleeping', online: false, fw: {name: 'relay', version: '0.9'}, confirmed: false}),
];
const ids = (text: string, invert = false) => devices.filter(d => matchesFilter(d, parseFilter(text, invert))).map(d => d.id);

describe('device filter', () => {
  it('plain text matches id, name, IP, firmware … case-insensitively', () => {
    expect(ids('KITCHEN')).toEqual(['kitchen']);
    expect(ids('light')).toEqual(['kitchen']);
    expect(ids('10.0.0')).toEqual(['kitchen']);
    expect(ids('relay')).toEqual(['kitchen', 'attic']);
    expect(ids('')).toEqual(['kitchen', 'garage', 'attic']);
  });

  it('key:value terms, all of which must match', () => {
    expect(ids('fw:relay')).toEqual(['kitchen', 'attic']);
    expect(ids('fw:relay state:sleep')).toEqual(['attic']);
    expect(ids('state:lost')).toEqual(['garage']);
    expect(ids('version:1.2')).toEqual(['kitchen']);
    expect(ids('update:yes')).toEqual(['garage']);
    expect(ids('online:no')).toEqual(['garage', 'attic']);
    expect(ids('confirmed:no')).toEqual(['attic']);
  });

  it('-term negates a term; a leading ! or the invert flag inverts the whole filter', () => {
    expect(ids('-fw:relay')).toEqual(['garage']);
    expect(ids('!fw:relay')).toEqual(['garage']);
    expect(ids('fw:relay', true)).toEqual(['garage']);
    expect(ids('!state:lost', true)).toEqual(['garage']);
  });

  it('an unknown key is plain text, so a MAC with colons still matches', () => {
    expect(ids('aa:bb:cc')).toEqual(['garage']);
  });

  it('marks a term whose unknown key is a word, for the dashboard to say so; not a MAC, an address or a known field', () => {
    const unknown = (text: string) => parseFilter(text).terms.map(t => t.unknownField ?? null);
    expect(unknown('foo:bar fw:relay -Firmwre:x')).toEqual(['foo', null, 'firmwre']);
    expect(unknown('aa:bb:cc 10:20 fe80::1 :x relay')).toEqual([null, null, null, null, null]);
    expect(ids('foo:bar')).toEqual([]);
  });
});
