import type {Engine, Service} from '../engine.js';

/** One Homie device as homie-ota knows it. (Filled in by the inventory work.) */
export interface DeviceRecord {
  /** unique key: "<prefix>/<id>" (ids can repeat under different prefixes) */
  readonly key: string;
  readonly id: string;
  readonly prefix: string;
}

/** The live device inventory. (Stub: the inventory work replaces it.) */
export class Inventory implements Service {
  readonly name = 'inventory';

  constructor(readonly engine: Engine) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  list(): readonly DeviceRecord[] {
    return [];
  }
}
