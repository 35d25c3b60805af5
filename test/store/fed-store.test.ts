import {describe, expect, it} from 'vitest';
import {createFedStore} from '../../src/store/fed-store.js';
import {deviceRecord, handFocus, handSnapshot} from '../helpers/snapshots.js';
import {waitFor} from '../helpers/wait-for.js';

describe('a store fed by hand', () => {
  it('coalesces a burst of changes into one snapshot, and answers a focus at once', async () => {
    const devices = [deviceRecord('kitchen'), deviceRecord('hall')];
    const store = createFedStore(handSnapshot({devices}), {intervalMs: 30, focus: (key, s) => handFocus({devices}, key, s)});
    let told = 0;
    store.subscribe(() => told++);
    const first = store.getSnapshot();
    for (let i = 0; i < 500; i++) store.feed(s => ({...s, now: s.now + 1}));
    expect(store.getSnapshot()).toBe(first);
    await waitFor(() => told > 0, 'the rebuild');
    await new Promise(resolve => setTimeout(resolve, 80));
    expect(told).toBe(1);
    expect(store.getSnapshot().now).toBe(first.now + 500);
    expect(store.getSnapshot().revision).toBe(first.revision + 1);

    store.focusDevice('homie/hall');
    expect(told).toBe(2);
    expect(store.getSnapshot().focus?.detail?.id).toBe('hall');
    store.feed(s => ({...s, devices: {...s.devices, devices: s.devices.devices.filter(d => d.id !== 'hall')}}));
    store.flush();
    expect(store.getSnapshot().focus?.detail, 'gone with its device').toBeUndefined();
    store.dispose();
  });

  it('keeps the focus its feeder sets when it has no answer of its own', () => {
    const store = createFedStore(handSnapshot({devices: [deviceRecord('kitchen')]}), {intervalMs: 10});
    store.focusDevice('homie/kitchen');
    expect(store.getSnapshot().focus).toBeNull();
    const focus = {key: 'homie/kitchen', detail: undefined, activeJob: undefined, history: []};
    store.feed(s => ({...s, focus}));
    store.flush();
    expect(store.getSnapshot().focus).toBe(focus);
    store.dispose();
  });
});
