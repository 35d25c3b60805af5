import {afterEach, describe, expect, it} from 'vitest';
import {createEngineSource, type DashboardSource} from '../../src/store/engine-source.js';
import {otaWorld, type OtaWorld} from '../ota/helpers.js';
import {waitFor} from '../helpers/wait-for.js';

/** The dashboard's adapter over a real engine, broker and simulated devices: what the views read and ask. */

let world: OtaWorld | null = null;
let source: DashboardSource | null = null;
afterEach(async () => {
  source?.store.dispose();
  source = null;
  await world?.close();
  world = null;
});

const relay = {name: 'relay', version: '1.0.0'};
const target = {name: 'relay', version: '1.1.0'};

describe('the engine as the dashboard sees it', () => {
  it('carries what the views asked the engine for: delete refusals, the focused device with its job, and answers as promises', async () => {
    world = await otaWorld({specs: [{id: 'away', generation: 'v3', fw: relay}]});
    const {engine, fleet} = world;
    await fleet.device('away')!.goOffline({will: true});
    await waitFor(() => engine.inventory.get('homie/away')?.state === 'lost', 'the device lost');
    source = createEngineSource(engine, {intervalMs: 10});
    const {store, actions} = source;
    const row = () => store.getSnapshot().firmware.rows.find(r => r.record.version === '1.1.0')!;
    store.flush();
    expect(row().deleteRefusal).toBeNull();
    expect(row().path).toBe(engine.firmware.pathOf(row().record));

    const created = await actions.createUpdate({deviceKeys: ['homie/away'], firmware: target});
    expect(created.jobs).toHaveLength(1);
    const id = created.jobs[0]!.id;
    await waitFor(() => store.getSnapshot().jobs.totals.open === 1, 'the job in the snapshot');
    // the firmware store's own words, asked when the jobs changed
    expect(row().deleteRefusal).toMatch(new RegExp(`job ${id} for away \\(\\w+\\) uses it; cancel the job first`));

    expect(store.getSnapshot().focus).toBeNull();
    store.focusDevice('homie/away');
    // at once, not at the next rebuild
    const focus = store.getSnapshot().focus!;
    expect(focus.key).toBe('homie/away');
    expect(focus.detail?.attributes.$homie).toBe('3.0.1');
    expect(focus.activeJob?.id).toBe(id);
    expect(focus.history).toEqual([]);
    store.flush();
    expect(store.getSnapshot().focus, 'kept while nothing about the device changed').toBe(focus);

    await expect(actions.retryJob(id)).resolves.toMatchObject({ok: false});
    await expect(actions.cancelJob(id)).resolves.toEqual({ok: true, message: `cancelled ${id}`});
    await waitFor(() => store.getSnapshot().jobs.totals.open === 0, 'the cancel in the snapshot');
    expect(row().deleteRefusal).toBeNull();
    expect(store.getSnapshot().focus!.activeJob).toBeUndefined();
    expect(store.getSnapshot().focus!.history.map(h => [h.jobId, h.result])).toEqual([[id, 'cancelled']]);
    store.focusDevice(null);
    expect(store.getSnapshot().focus).toBeNull();
  });
});
