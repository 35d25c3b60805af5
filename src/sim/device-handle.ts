import type {EventEmitter} from 'node:events';
import type {Chip} from '../engine/firmware/image-format.js';
import type {DeviceEnv, DeviceEvents, DeviceSpec, DeviceState, FirmwareInfo} from './device-types.js';
import type {Faults} from './faults.js';
import type {DeviceFacts, Generation, Profile, Step} from './generations.js';
import type {HttpUpdateResult} from './http-update.js';
import type {Identity} from './identity.js';
import type {DeviceLink} from './link.js';

/**
 * A simulated device as its behaviours see it (device-inbox.ts: messages, device-loop.ts: the sketch
 * while connected, device-ota.ts: updates). SimDevice (device.ts) is the one implementation; the
 * behaviours never import it, so device.ts can call them without a loop between the files.
 */
export interface DeviceHandle extends Pick<EventEmitter<DeviceEvents>, 'emit' | 'once'> {
  readonly id: string;
  readonly generation: Generation;
  readonly profile: Profile;
  readonly chip: Chip;
  readonly family: 'esp8266' | 'esp32';
  readonly prefix: string;
  readonly root: string;
  readonly identity: Identity;
  readonly spec: DeviceSpec;
  readonly env: DeviceEnv;
  readonly counters: {connects: number; advertised: number; otaStarted: number; otaFlashed: number; otaFailed: number};
  name: string;
  fw: FirmwareInfo;
  image: Buffer;
  lastPull: HttpUpdateResult | null;
  readonly faults: Faults;
  readonly state: DeviceState;
  readonly epoch: number;
  readonly uptime: number;
  readonly otaEnabled: boolean;
  readonly freeSpace: number;
  readonly statsInterval: number;
  readonly values: ReadonlyMap<string, string>;
  storeValue(key: string, value: string): void;
  note(text: string): void;
  setState(state: DeviceState): void;
  publishStatus(payload: string, epoch: number): void;
  restart(reason: string, then: () => void | 'stay-down', delay?: number): void;
  leave(): DeviceLink;
  later(ms: number, run: () => void, epoch?: number): void;
  every(ms: number, run: () => void, epoch: number, now: boolean): void;
  boot(reason: string): void;
  reconnect(): void;
  nextSignal(): number;
  send(step: Step, urgent: boolean, epoch?: number): Promise<boolean>;
  valueStep(key: string, value: string): Step;
  facts(): DeviceFacts;
}
