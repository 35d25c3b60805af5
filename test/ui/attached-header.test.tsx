import {afterEach, describe, expect, it} from 'vitest';
import {renderSource, stillFrame, type RenderedDashboard} from '../helpers/render-ui.js';
import {deviceRecord, handSource, job, firmwareRecord} from '../helpers/snapshots.js';

/** The views fed by an attached source: the header says where, the link's state, and q detaches. */

let ui: RenderedDashboard | null = null;
afterEach(() => {
  ui?.unmount();
  ui = null;
});

const devices = Array.from({length: 40}, (_, i) => deviceRecord(`dev-${String(i).padStart(2, '0')}`));

describe('a dashboard attached to a service', () => {
  it('says attached to <url> above the status line, and ◌ reconnecting with why; the frame still fits 80×24', async () => {
    const source = handSource({devices});
    source.store.feed(s => ({...s, attached: {url: 'http://127.0.0.1:9080', state: 'live'}}));
    const live = await stillFrame(source, 'attached to', {columns: 80, rows: 24});
    const lines = live.split('\n');
    expect(lines[0]).toBe('⇄ attached to http://127.0.0.1:9080 · q detaches, the service keeps running');
    expect(lines[1]).toMatch(/^homie-ota {2}MQTT/);
    expect(lines.length).toBeLessThanOrEqual(23);
    expect(live).toMatch(/\? help {2}q quit\s*$/);

    source.store.feed(s => ({...s, attached: {url: 'http://127.0.0.1:9080', state: 'reconnecting', error: 'nothing answers at http://127.0.0.1:9080 (connection refused); is homie-ota running there, on that port?'}}));
    const broken = await stillFrame(source, 'reconnecting', {columns: 80, rows: 24});
    expect(broken.split('\n')[0]).toMatch(/^◌ reconnecting to http:\/\/127\.0\.0\.1:9080: nothing answers at .{10,}…$/);
    expect(broken.split('\n').length).toBeLessThanOrEqual(23);
  });

  it('q detaches at once even with updates open (they go on in the service)', async () => {
    const device = devices[0]!;
    const source = handSource({devices, jobs: [job(device, firmwareRecord('relay', '1.1.0'), 'sending')]});
    source.store.feed(s => ({...s, attached: {url: 'http://127.0.0.1:9080', state: 'live'}}));
    ui = await renderSource(source, {columns: 100, rows: 30});
    await ui.waitForText('attached to');
    await ui.press('q');
    const outcome = await Promise.race([ui.exited.then(() => 'exited'), new Promise(resolve => setTimeout(() => resolve('still running'), 3000))]);
    expect(outcome, ui.frame()).toBe('exited');
    expect(ui.frame()).not.toMatch(/Quit homie-ota\?/);
  });
});
