import type {DiscoveryStatus} from '../engine/inventory/discovery.js';
import type {DeviceRecord} from '../engine/inventory/inventory.js';

/** What the Devices view and the header need from the inventory. */
export interface InventorySlice {
  readonly total: number;
  /** devices in state init, ready or alert */
  readonly online: number;
  /** known only from inventory.json so far */
  readonly unconfirmed: number;
  /** every device, in the inventory's stable order; the same array until something changes */
  readonly devices: readonly DeviceRecord[];
  readonly discovery: DiscoveryStatus;
}

function sameDiscovery(a: DiscoveryStatus, b: DiscoveryStatus): boolean {
  return a.phase === b.phase && a.subscribed === b.subscribed && a.queued === b.queued && a.completedAt === b.completedAt && a.rowsAt === b.rowsAt && a.detailsAt === b.detailsAt && a.lateFinds === b.lateFinds && a.loading === b.loading;
}

/** What the slice reads from the inventory. */
export interface InventorySource {
  list(): readonly DeviceRecord[];
  readonly discoveryStatus: DiscoveryStatus;
  readonly counts: {readonly online: number; readonly unconfirmed: number};
}

/** Returns `previous` itself when nothing changed, so React skips the Devices view entirely. */
export function buildInventorySlice(inventory: InventorySource, previous: InventorySlice | undefined): InventorySlice {
  const devices = inventory.list();
  const discovery = inventory.discoveryStatus;
  if (previous && previous.devices === devices) {
    return sameDiscovery(previous.discovery, discovery) ? previous : {...previous, discovery};
  }
  const {online, unconfirmed} = inventory.counts;
  return {total: devices.length, online, unconfirmed, devices, discovery};
}

const byKeyCache = new WeakMap<readonly DeviceRecord[], Map<string, DeviceRecord>>();

/** A device of the snapshot by key (an index built once per list, when first asked). */
export function deviceByKey(slice: InventorySlice, key: string): DeviceRecord | undefined {
  let index = byKeyCache.get(slice.devices);
  if (!index) {
    index = new Map(slice.devices.map(d => [d.key, d]));
    byKeyCache.set(slice.devices, index);
  }
  return index.get(key);
}
