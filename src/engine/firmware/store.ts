import type {Engine, Service} from '../engine.js';

/** One firmware file in the store. (Filled in by the firmware work.) */
export interface FirmwareRecord {
  readonly name: string;
  readonly version: string;
  readonly file: string;
}

/** The firmware store. (Stub: the firmware work replaces it.) */
export class FirmwareStore implements Service {
  readonly name = 'firmware store';

  constructor(readonly engine: Engine) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  list(): readonly FirmwareRecord[] {
    return [];
  }
}
