import type {Log} from '../log.js';
import type {MqttConnection} from '../mqtt/connection.js';

/**
 * Forgetting a device means clearing every retained topic below it on the broker (a zero-length
 * retained message deletes one), or it comes straight back. Nothing blocks while this runs:
 * 1. `$state` (and `$online`) first, as Homie 5 asks, so discovery stops seeing the device;
 * 2. every topic we know of;
 * 3. a sweep: subscribe `<base>/#` for a moment and clear whatever retained topic it replays, including
 *    `…/set`, `$implementation/*` and levels our own subscriptions never asked for. An UNSUBSCRIBE of an
 *    unused filter is the barrier: its answer comes after every replayed message.
 * While a sweep runs, messages under the device are consumed here and never reach the inventory, and
 * an empty payload never creates a device, so our own echoes cannot leave a ghost behind.
 */
export interface ForgetOutcome {
  readonly cleared: number;
  /** topics that could not be cleared (publish refused or timed out) */
  readonly failed: number;
}

/** extra time for brokers that replay retained messages after answering (aedes) */
const SWEEP_GRACE_MS = 300;
const PUBLISH_TIMEOUT_MS = 5000;

interface Sweep {
  readonly found: Set<string>;
  readonly pending: Array<Promise<boolean>>;
}

export class Forgetter {
  readonly #sweeps = new Map<string, Sweep>();

  constructor(readonly mqtt: MqttConnection, readonly log: Log) {}

  /** True while `base` is being forgotten. */
  isSweeping(base: string): boolean {
    return this.#sweeps.has(base);
  }

  /** Offer a message; returns true when it belongs to a device being forgotten (then the inventory ignores it). */
  offer(topic: string, payload: Uint8Array, retained: boolean): boolean {
    if (this.#sweeps.size === 0) return false;
    for (const [base, sweep] of this.#sweeps) {
      if (!topic.startsWith(base) || topic.charCodeAt(base.length) !== 47 /* / */) continue;
      if (retained && payload.length > 0 && !sweep.found.has(topic)) {
        sweep.found.add(topic);
        sweep.pending.push(this.#clear(topic));
      }
      return true;
    }
    return false;
  }

  async forget(base: string, knownPaths: Iterable<string>): Promise<ForgetOutcome> {
    const sweep: Sweep = {found: new Set(), pending: []};
    this.#sweeps.set(base, sweep);
    try {
      const known = [...knownPaths].map(path => `${base}/${path}`);
      const first = known.filter(t => t.endsWith('/$state') || t.endsWith('/$online'));
      if (first.length === 0) first.push(`${base}/$state`);
      for (const topic of first) sweep.found.add(topic);
      const firstResults = await Promise.all(first.map(topic => this.#clear(topic)));
      for (const topic of known) {
        if (sweep.found.has(topic)) continue;
        sweep.found.add(topic);
        sweep.pending.push(this.#clear(topic));
      }
      const filter = `${base}/#`;
      if (await this.mqtt.subscribe({[filter]: {qos: 0}})) {
        await this.mqtt.unsubscribe([`${this.mqtt.statusTopic}/barrier`]);
        await new Promise(resolve => setTimeout(resolve, SWEEP_GRACE_MS));
        await this.mqtt.unsubscribe([filter]);
      }
      // clears started by replayed messages are in `pending` by now
      const results = [...firstResults, ...(await Promise.all(sweep.pending))];
      const failed = results.filter(ok => !ok).length;
      return {cleared: results.length - failed, failed};
    } finally {
      this.#sweeps.delete(base);
    }
  }

  #clear(topic: string): Promise<boolean> {
    const publish = this.mqtt.publish(topic, Buffer.alloc(0), {qos: 1, retain: true});
    const timeout = new Promise<boolean>(resolve => setTimeout(() => resolve(false), PUBLISH_TIMEOUT_MS).unref());
    return Promise.race([publish, timeout]);
  }
}
