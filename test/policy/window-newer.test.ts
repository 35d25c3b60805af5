import {describe, expect, it} from 'vitest';
import {describeWindow, inWindow, nextOpening, parseWindow, windowWait} from '../../src/engine/ota/window.js';
import {isNewer, pickDevices} from '../../src/engine/policy/pick.js';
import {checkSettings, defaultSettings} from '../../src/engine/policy/policy-file.js';
import type {DeviceRecord} from '../../src/engine/inventory/inventory.js';

/** A local time today (the window is local time). */
const at = (hh: number, mm = 0, dayOffset = 0) => new Date(2026, 10, 30 + dayOffset, hh, mm, 0, 0).getTime();

describe('the rollout window (local time, may cross midnight)', () => {
  it('parses HH:MM-HH:MM with a hyphen or an en dash, and says how to write a wrong one', () => {
    expect(parseWindow('02:00-05:00')).toEqual({start: '02:00', end: '05:00'});
    expect(parseWindow('2:00 – 5:30')).toEqual({start: '02:00', end: '05:30'});
    expect(parseWindow('25:00-05:00')).toMatchObject({error: expect.stringContaining('HH:MM-HH:MM')});
    expect(parseWindow('night')).toMatchObject({error: expect.stringContaining('02:00-05:00')});
  });

  it('02:00–05:00: inside from 02:00 up to (not including) 05:00', () => {
    const w = {start: '02:00', end: '05:00'};
    expect(inWindow(w, at(1, 59))).toBe(false);
    expect(inWindow(w, at(2, 0))).toBe(true);
    expect(inWindow(w, at(4, 59))).toBe(true);
    expect(inWindow(w, at(5, 0))).toBe(false);
    expect(nextOpening(w, at(1, 0))).toBe(at(2, 0));
    expect(nextOpening(w, at(6, 0))).toBe(at(2, 0, 1));
    expect(nextOpening(w, at(3, 0))).toBe(at(3, 0));
    expect(windowWait(w, at(6, 0))).toBe('outside its window 02:00–05:00 (local time); starts at 02:00 tomorrow');
    expect(windowWait(w, at(1, 0))).toBe('outside its window 02:00–05:00 (local time); starts at 02:00');
  });

  it('22:00–02:00 crosses midnight; the same start and end is all day', () => {
    const w = {start: '22:00', end: '02:00'};
    expect(describeWindow(w)).toBe('22:00–02:00');
    expect(inWindow(w, at(23, 30))).toBe(true);
    expect(inWindow(w, at(0, 30))).toBe(true);
    expect(inWindow(w, at(2, 0))).toBe(false);
    expect(inWindow(w, at(12, 0))).toBe(false);
    expect(nextOpening(w, at(12, 0))).toBe(at(22, 0));
    expect(inWindow({start: '03:00', end: '03:00'}, at(12, 0))).toBe(true);
  });
});

describe('"newer": which devices an automatic rollout takes', () => {
  it('semver-aware: 1.0.10 is newer than 1.0.9, a pre-release older than its release; no downgrade unless outdatedOnly is off', () => {
    expect(isNewer('1.0.10', '1.0.9')).toBe(true);
    expect(isNewer('1.0.2', '1.0.2')).toBe(false);
    expect(isNewer('1.0.0-beta', '1.0.0')).toBe(false);
    expect(isNewer('1.0.1', '1.0.2')).toBe(false);
    expect(isNewer('1.0.1', '1.0.2', false)).toBe(true);
    expect(isNewer('1.0.1', undefined)).toBe(true);
  });

  it('leaves out pinned devices, other names, the up to date, and offline ones when asked; ready devices first (the canary can start)', () => {
    const device = (id: string, version: string, state = 'ready', name = 'relay') => ({key: `homie/${id}`, id, state, online: state === 'ready', fw: {name, version}}) as unknown as DeviceRecord;
    const devices = [device('z-away', '1.0.1', 'lost'), device('b', '1.0.1'), device('a', '1.0.1'), device('pinned', '1.0.1'), device('new', '1.0.3'), device('light', '1.0.1', 'ready', 'light')];
    const pick = pickDevices(devices, 'relay', '1.0.2', {outdatedOnly: true, onlineOnly: false}, key => key === 'homie/pinned');
    expect(pick.keys).toEqual(['homie/a', 'homie/b', 'homie/z-away']);
    expect(pick.pinned).toBe(1);
    expect(pick.note).toBe('5 run relay, 1 pinned, 1 already on 1.0.2 or newer');
    const online = pickDevices(devices, 'relay', '1.0.2', {outdatedOnly: false, onlineOnly: true}, () => false);
    expect(online.keys).toEqual(['homie/a', 'homie/b', 'homie/new', 'homie/pinned']);
  });
});

describe('policy settings as given by a person or a program', () => {
  it('keeps what is left out, and names the field that is wrong', () => {
    const base = defaultSettings(2);
    expect(checkSettings({window: '02:00-05:00', concurrency: 4}, base)).toEqual({settings: {...base, window: {start: '02:00', end: '05:00'}, concurrency: 4}});
    expect(checkSettings({concurrency: 0}, base, 'policies.relay')).toEqual({error: 'policies.relay.concurrency: expected a whole number from 1 to 64'});
    expect(checkSettings({canary: 'yes'}, base)).toEqual({error: 'canary: expected true or false'});
    expect(checkSettings({window: '9-5'}, base, 'policies.relay')).toMatchObject({error: expect.stringMatching(/^policies\.relay\.window: /)});
    expect(checkSettings({colour: 1}, base)).toMatchObject({error: expect.stringMatching(/^colour: not a setting/)});
  });
});
