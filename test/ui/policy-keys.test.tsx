import {afterEach, describe, expect, it} from 'vitest';
import type {PolicyView} from '../../src/engine/policy/policy-service.js';
import {defaultSettings} from '../../src/engine/policy/policy-file.js';
import {editForm, armForm} from '../../src/ui/views/firmware/arm-dialog.js';
import {keys, renderSource, type RenderedDashboard} from '../helpers/render-ui.js';
import {deviceRecord, firmwareRecord, handSource, type HandMade} from '../helpers/snapshots.js';
import {waitFor} from '../helpers/wait-for.js';

/** `a` in the Firmware view and `P` in the Devices view, on stores fed by hand: what they ask for is recorded. */

let ui: RenderedDashboard | null = null;
afterEach(() => {
  ui?.unmount();
  ui = null;
});

const devices = ['d-1', 'd-2', 'd-3'].map(id => deviceRecord(id, {fw: {name: 'relay', version: '1.0.1'}}));
const firmware = [firmwareRecord('relay', '1.0.2'), firmwareRecord('relay', '1.0.1'), firmwareRecord('sensor', '2.0.0')];
const armedRelay: PolicyView = {
  name: 'relay', settings: {...defaultSettings(2), window: {start: '02:00', end: '05:00'}}, handled: '1.0.2',
  rollout: {id: 'r-4', version: '1.0.2', state: 'stopped', reason: 'the canary d-1 failed: writing the flash failed'},
  status: 'r-4 of 1.0.2 stopped: the canary d-1 failed: writing the flash failed', alert: true,
};

describe('a: the automatic rollout dialog of a firmware name', () => {
  it('opens on the firmware under the cursor with the default settings, fits 80×24, edits by keyboard and arms through the action', async () => {
    const source = handSource({devices, firmware});
    ui = await renderSource(source, {columns: 80, rows: 24});
    await ui.press('2');
    await ui.waitForText('sensor');
    await ui.press('j', 'j', 'a');
    const frame = await ui.waitForText('Automatic rollout of sensor');
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(lines.every(line => line.length <= 80)).toBe(true);
    expect(frame).toMatch(/Roll out new versions automatically +\[x\]/);
    expect(frame).toMatch(/Devices at a time +2/);
    expect(frame).toMatch(/Window, local time \(empty: any time\) +any time/);
    // no canary; 4 at a time; the window typed
    await ui.press(keys.down, keys.space, keys.down, keys.right, keys.right, keys.down, keys.down, keys.down, keys.down);
    await ui.write('02:00-05:00');
    await waitFor(() => ui!.idle() || undefined, 'keys handled');
    await ui.press(keys.enter);
    await waitFor(() => source.actions.calls.find(c => c.name === 'armPolicy'), 'armPolicy called');
    expect(source.actions.calls.find(c => c.name === 'armPolicy')!.args).toEqual(['sensor', {canary: false, concurrency: 4, maxFailures: 1, outdatedOnly: true, onlineOnly: false, window: '02:00-05:00'}]);
    await ui.waitForText('armPolicy done');
    expect(ui.frame()).not.toMatch(/Automatic rollout of/);
  });

  it('a refusal stays in the dialog; unticking an armed name disarms it; Esc leaves without a call', async () => {
    const source = handSource({devices, firmware, policies: {armed: [armedRelay]}});
    source.actions.answer('armPolicy', {ok: false, message: 'window: "9-5" is not a window; write local times as HH:MM-HH:MM'});
    ui = await renderSource(source, {columns: 80, rows: 24});
    await ui.press('2');
    // the armed name and its stopped rollout are shown in the view and the header
    await ui.waitForText('✗ auto relay: r-4 of 1.0.2 stopped: the canary d-1 failed');
    expect(ui.frame()).toMatch(/auto relay ✗ stopped/);
    await ui.press('a');
    await ui.waitForText(/Window, local time .*02:00-05:00/);
    await ui.press(keys.enter);
    await ui.waitForText('is not a window');
    expect(ui.frame()).toMatch(/Automatic rollout of relay/);
    await ui.press(keys.space, keys.enter);
    await waitFor(() => source.actions.calls.find(c => c.name === 'disarmPolicy'), 'disarmPolicy called');
    expect(source.actions.calls.find(c => c.name === 'disarmPolicy')!.args).toEqual(['relay']);
    const before = source.actions.calls.length;
    await ui.press('a', keys.escape);
    await waitFor(() => !/Automatic rollout of/.test(ui!.frame()) || undefined, 'the dialog closed');
    expect(source.actions.calls.length).toBe(before);
  });

  it('in --readonly, a changes nothing and says why', async () => {
    const source = handSource({devices, firmware, readonly: true});
    ui = await renderSource(source, {columns: 80, rows: 24});
    await ui.press('2');
    await ui.waitForText('sensor');
    await ui.press('a');
    await ui.waitForText('read-only mode (--readonly): actions that change devices or firmware are off');
    expect(ui.frame()).not.toMatch(/Automatic rollout of/);
    expect(source.actions.calls.some(c => c.name === 'armPolicy')).toBe(false);
  });

  it('the form edits as a pure function: numbers stay in range, booleans toggle', () => {
    const form = armForm(defaultSettings(2));
    expect(editForm(form, 2, '', {leftArrow: true})!.concurrency).toBe(1);
    expect(editForm(editForm(form, 2, '', {leftArrow: true})!, 2, '', {leftArrow: true})!.concurrency).toBe(1);
    expect(editForm(form, 3, '9', {})!.maxFailures).toBe(19);
    expect(editForm(form, 5, ' ', {})!.onlineOnly).toBe(true);
    expect(editForm(form, 6, 'x', {})!.window.value).toBe('x');
  });
});

describe('P: pin devices', () => {
  const made: HandMade = {devices, firmware, policies: {pins: ['homie/d-2']}};

  it('shows a pin in the mark column and the detail; P on a pinned device unpins it, on marked devices pins them', async () => {
    const source = handSource(made);
    ui = await renderSource(source, {columns: 100, rows: 24});
    const frame = await ui.waitForText('d-3');
    const row = (id: string) => frame.split('\n').find(line => line.includes(` ${id} `)) ?? '';
    expect(row('d-2')).toMatch(/^P /);
    expect(row('d-1')).toMatch(/^ {2}/);
    await ui.press('j', 'P');
    await waitFor(() => source.actions.calls.find(c => c.name === 'setPinned'), 'setPinned called');
    expect(source.actions.calls.find(c => c.name === 'setPinned')!.args).toEqual([['homie/d-2'], false]);
    await ui.press('g', keys.space, keys.space, 'P');
    await waitFor(() => source.actions.calls.filter(c => c.name === 'setPinned').length === 2 || undefined, 'second setPinned');
    expect(source.actions.calls.filter(c => c.name === 'setPinned')[1]!.args).toEqual([['homie/d-1', 'homie/d-2'], true]);
    await ui.press('U', 'g', 'j', keys.enter);
    await ui.waitForText(/Pinned +yes: left out of automatic rollouts/);
  });

  it('u on a pinned device warns in the confirmation', async () => {
    ui = await renderSource(handSource(made), {columns: 100, rows: 24});
    await ui.waitForText('d-3');
    await ui.press('j', 'u', keys.enter);
    await ui.waitForText(/⚠ pinned: d-2 is pinned/);
  });
});
