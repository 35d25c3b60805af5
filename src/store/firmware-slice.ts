import type {Engine} from '../engine/engine.js';

/** What the Firmware view needs from the store. (Stub.) */
export interface FirmwareSlice {
  readonly total: number;
}

export function buildFirmwareSlice(engine: Engine, previous: FirmwareSlice | undefined): FirmwareSlice {
  const total = engine.firmware.list().length;
  if (previous && previous.total === total) return previous;
  return {total};
}
