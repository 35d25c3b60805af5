import {createCoalescingStore} from './create-store.js';
import type {DashboardSnapshot, DashboardStore, DeviceFocus} from './dashboard-store.js';

/** A store whose snapshots are handed to it (tests; later, a stream from another homie-ota). */
export interface FedStore extends DashboardStore {
  /** the next snapshot, from the newest one fed; coalesced like engine events (at most one rebuild per interval) */
  feed(change: (snapshot: DashboardSnapshot) => DashboardSnapshot): void;
  /** the device the views asked for last (null: none) */
  readonly focused: string | null;
}

export interface FedStoreOptions {
  readonly intervalMs?: number;
  /** the focus for a device the views ask for, from what the feeder holds; without it, `feed` sets the focus */
  readonly focus?: (key: string, snapshot: DashboardSnapshot) => DeviceFocus | null;
  /** the store's clock (default: the newest snapshot's `now`) */
  readonly now?: () => number;
}

/**
 * A DashboardStore fed by hand: `feed` queues a change, the coalescing store applies the queued
 * changes on its next rebuild. Asking for a device's detail takes effect at once when the feeder
 * answers it (`focus`), as with the engine; else when the feeder feeds it.
 */
export function createFedStore(initial: DashboardSnapshot, options: FedStoreOptions = {}): FedStore {
  let pending: Array<(snapshot: DashboardSnapshot) => DashboardSnapshot> = [];
  let focused: string | null = null;
  let refocus = false;
  const store = createCoalescingStore<DashboardSnapshot>(previous => {
    if (!previous) return initial;
    const changes = pending;
    pending = [];
    if (changes.length === 0 && !refocus) return previous;
    refocus = false;
    const next = changes.reduce((s, change) => change(s), previous);
    // without a `focus` answer, the feeder sets the focus itself (when the detail it asked for arrives)
    const focus = focused === null ? null : options.focus ? options.focus(focused, next) : next.focus;
    return {...next, focus, revision: previous.revision + 1};
  }, options.intervalMs ?? 100);
  return {
    ...store,
    feed(change) {
      pending.push(change);
      store.markDirty();
    },
    get focused() {
      return focused;
    },
    focusDevice(key) {
      if (key === focused) return;
      focused = key;
      refocus = true;
      store.flush();
    },
    now: options.now ?? (() => store.getSnapshot().now),
  };
}
