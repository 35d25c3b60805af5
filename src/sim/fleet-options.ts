import type {Chip} from '../engine/firmware/image-format.js';
import type {DeviceSpec} from './device-types.js';
import type {FaultAssignment} from './faults.js';
import {GENERATION_ALIASES, PROFILES, type Generation} from './generations.js';

/** Options of `startFleet`. Only `url` is required. */
export interface FleetOptions {
  /** broker: mqtt://host[:port] or mqtts://… (user:password@ allowed) */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** mqtts: accept a self-signed broker certificate */
  readonly insecure?: boolean;
  /** how many devices, when `specs` is not given (default 12) */
  readonly devices?: number;
  /** generation mix by weight, e.g. "v3:80,v2:15,v1:5" or {v3: 80, v2: 15, v1: 5} (default all v3) */
  readonly generations?: string | Partial<Record<Generation, number>>;
  /** the devices one by one (ids, generations, faults …); replaces `devices` and `generations` */
  readonly specs?: readonly DeviceSpec[];
  /** base topic of Homie 2+ devices (default homie) */
  readonly prefix?: string;
  /** base topic of Homie 1.x devices (default devices) */
  readonly v1Prefix?: string;
  /** firmware every device starts on, name@version (default homie-sim@1.0.0) */
  readonly fw?: string;
  /** esp8266 (default), an ESP32-family chip, or "mix": a quarter of the v3 devices on ESP32 */
  readonly chip?: Chip | 'mix';
  readonly faults?: readonly FaultAssignment[];
  /** decoded bytes per second written to flash during an OTA (default 40 KiB/s) */
  readonly flashSpeed?: number;
  /** bytes per received chunk (default 1460, one TCP segment) */
  readonly chunkSize?: number;
  /** ms from reset to connecting again (default 3000) */
  readonly rebootDelay?: number;
  /** device_stats_interval in seconds (default 60) */
  readonly statsInterval?: number;
  /** where Homie 1.x devices pull firmware (default http://<broker host>:9080/ota) */
  readonly otaHttpUrl?: string;
  /** faithful: one connection and will per device; multiplexed: shared connections (mux.ts); auto (default) picks faithful up to 2000 devices */
  readonly mode?: 'auto' | 'faithful' | 'multiplexed';
  /** multiplexed: publishing connections (default 4) */
  readonly connections?: number;
  /** packets per second for the whole fleet (default 5000; Infinity for no bound) */
  readonly publishRate?: number;
  /** new connections per second in faithful mode (default 500) */
  readonly connectRate?: number;
  /** same seed, same fleet: ids, faults, values (default "homie-sim") */
  readonly seed?: string;
  /** ids "<idPrefix>-0001"… instead of MAC-derived ones */
  readonly idPrefix?: string;
  /** 206 after every chunk (1, default) or every 100th (100, like homie-esp8266 develop) */
  readonly progressEvery?: number;
  /** notable device events (OTA outcomes, reboots, faults) */
  readonly log?: (device: string, text: string) => void;
}

export const FAITHFUL_LIMIT = 2000;

/** "v3:80,v2:15,v1:5" → weights; a bare "v3" means all. */
export function parseGenerationMix(mix: string | Partial<Record<Generation, number>>): Array<[Generation, number]> {
  const entries: Array<[string, number]> = typeof mix === 'string'
    ? mix.split(',').map(s => s.trim()).filter(Boolean).map(part => {
      const [name = '', weight] = part.split(':');
      const value = weight === undefined ? 1 : Number(weight.replace('%', ''));
      if (!Number.isFinite(value) || value < 0) throw new Error(`generation mix "${part}": the weight must be a number, e.g. v3:80`);
      return [name.trim().toLowerCase(), value];
    })
    : Object.entries(mix).map(([k, v]) => [k, v ?? 0]);
  const result: Array<[Generation, number]> = [];
  for (const [name, weight] of entries) {
    const generation = GENERATION_ALIASES[name];
    if (!generation) throw new Error(`unknown generation "${name}"; use ${Object.keys(PROFILES).join(', ')} (v2 = 2.0.0, v2.3 = 2.0.1, v1 = 1.5)`);
    result.push([generation, weight]);
  }
  if (result.length === 0 || result.every(([, w]) => w === 0)) throw new Error('the generation mix is empty; e.g. v3:80,v2:15,v1:5');
  return result;
}

/** Spread `count` devices over the weights, interleaved so any first N devices show the mix. */
export function spreadGenerations(count: number, weights: ReadonlyArray<readonly [Generation, number]>): Generation[] {
  const total = weights.reduce((n, [, w]) => n + w, 0);
  const assigned = weights.map(() => 0);
  const out: Generation[] = [];
  for (let i = 0; i < count; i++) {
    // the generation furthest behind its share so far
    let best = 0;
    let bestDeficit = -Infinity;
    weights.forEach(([, w], k) => {
      const deficit = ((i + 1) * w) / total - assigned[k]!;
      if (deficit > bestDeficit) {
        bestDeficit = deficit;
        best = k;
      }
    });
    assigned[best]!++;
    out.push(weights[best]![0]);
  }
  return out;
}

/** The device list a fleet runs: the given specs, or `devices` generated from the mix. */
export function buildSpecs(options: FleetOptions): DeviceSpec[] {
  let specs: DeviceSpec[];
  if (options.specs) {
    specs = [...options.specs];
  } else {
    const count = options.devices ?? 12;
    if (!Number.isInteger(count) || count < 0) throw new Error(`devices: expected a whole number, got ${count}`);
    const generations = spreadGenerations(count, parseGenerationMix(options.generations ?? 'v3'));
    let esp32Turn = 0;
    specs = generations.map((generation, index) => {
      let chip: Chip = 'esp8266';
      if (options.chip && options.chip !== 'mix' && (generation === 'v3' || generation === 'homie4' || generation === 'homie5')) chip = options.chip;
      if (options.chip === 'mix' && generation === 'v3' && esp32Turn++ % 4 === 3) chip = 'esp32';
      return {
        generation,
        chip,
        ...(options.idPrefix ? {id: `${options.idPrefix}-${String(index + 1).padStart(4, '0')}`} : {}),
      };
    });
  }
  specs = specs.map(spec => ({
    ...spec,
    prefix: spec.prefix ?? ((spec.generation ?? 'v3') === 'v1' ? options.v1Prefix ?? 'devices' : options.prefix ?? 'homie'),
    ...(spec.fw === undefined && options.fw ? {fw: options.fw} : {}),
    ...(spec.progressEvery === undefined && options.progressEvery ? {progressEvery: options.progressEvery} : {}),
  }));
  return specs;
}
