import type {Engine} from '../engine/engine.js';
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
  return a.phase === b.phase && a.subscribed === b.subscribed && a.queued === b.queued && a.completedAt === b.completedAt && a.lateFinds === b.lateFinds;
}

/** Returns `previous` itself when nothing changed, so React skips the Devices view entirely. */
export function buildInventorySlice(engine: Engine, previous: InventorySlice | undefined): InventorySlice {
  const devices = engine.inventory.list();
  const discovery = engine.inventory.discoveryStatus;
  if (previous && previous.devices === devices) {
    return sameDiscovery(previous.discovery, discovery) ? previous : {...previous, discovery};
  }
  const {online, unconfirmed} = engine.inventory.counts;
  return {total: devices.length, online, unconfirmed, devices, discovery};
}
