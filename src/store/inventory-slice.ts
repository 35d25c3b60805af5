import type {Engine} from '../engine/engine.js';

/** What the Devices view and the header need from the inventory. (Stub.) */
export interface InventorySlice {
  readonly total: number;
  readonly online: number;
}

export function buildInventorySlice(engine: Engine, previous: InventorySlice | undefined): InventorySlice {
  const total = engine.inventory.list().length;
  if (previous && previous.total === total) return previous;
  return {total, online: 0};
}
