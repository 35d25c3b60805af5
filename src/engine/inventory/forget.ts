import type {Log} from '../log.js';
import type {MqttConnection} from '../mqtt/connection.js';

/** The MQTT connection as a forget uses it. */
export type ForgetMqtt = Pick<MqttConnection, 'subscribe' | 'unsubscribe' | 'publish' | 'statusTopic'>;

/**
 * Forgetting a device means clearing every retained topic below it on the broker (a zero-length
 * retained message deletes one), or it comes straight back. Nothing blocks while this runs:
 * 1. `$state` (and `$online`) first, as Homie 5 asks, so discovery stops seeing the device;
 * 2. every topic we know of;
 * 3. sweeps: subscribe `<base>/#` for a moment and clear whatever retained topic it replays, including
 *    `…/set`, `$implementation/*` and levels our own subscriptions never asked for. An UNSUBSCRIBE of an
 *    unused filter is the barrier (its answer comes after every replayed message on mosquitto); aedes
 *    replays a little later, so a sweep also waits until the replay has been quiet for a moment. A
 *    broker that drops messages of a large replay (mosquitto does for a QoS 0 subscription) leaves
 *    topics behind, so sweeps repeat until one finds nothing new.
 * Clears are QoS 1 with at most MAX_IN_FLIGHT outstanding: MQTT message ids are 16 bits, and 70,000
 * clears in flight at once used to collide with the barrier's id and never finish.
 * While a sweep runs, messages under the device are consumed here and never reach the inventory, and
 * an empty payload never creates a device, so our own echoes cannot leave a ghost behind.
 */
export interface ForgetOutcome {
  readonly cleared: number;
  /** topics that could not be cleared (publish refused or timed out) */
  readonly failed: number;
}

/** How far a forget has come, for an answer while it still runs. */
export interface ForgetProgress {
  /** retained topics found so far */
  readonly found: number;
  readonly cleared: number;
  readonly failed: number;
}

/** the replay of a sweep is over when no message came for this long (aedes replays after answering) */
const QUIET_MS = 300;
/** …but a replay that never stops (something publishes under the device all the time) is cut here */
const SWEEP_MAX_MS = 60_000;
const PUBLISH_TIMEOUT_MS = 5000;
/** QoS 1 clears outstanding at once */
export const MAX_IN_FLIGHT = 500;
/** sweeps at most: each one only repeats what the broker dropped from the one before */
const MAX_SWEEPS = 5;

class Sweep {
  readonly found = new Set<string>();
  readonly #queue: string[] = [];
  #next = 0;
  #inFlight = 0;
  cleared = 0;
  failed = 0;
  lastMessageAt = 0;
  #idle: Array<() => void> = [];

  constructor(readonly clear: (topic: string) => Promise<boolean>) {}

  /** Clear `topic` once (a topic already found is not cleared again). */
  add(topic: string): void {
    if (this.found.has(topic)) return;
    this.found.add(topic);
    this.#queue.push(topic);
    this.#pump();
  }

  #pump(): void {
    while (this.#inFlight < MAX_IN_FLIGHT && this.#next < this.#queue.length) {
      const topic = this.#queue[this.#next++]!;
      this.#inFlight++;
      void this.clear(topic).then(ok => {
        if (ok) this.cleared++;
        else this.failed++;
        this.#inFlight--;
        this.#pump();
      });
    }
    if (this.#next === this.#queue.length) {
      // the queue is done: let it go, so 100,000 topics are not held twice
      this.#queue.length = 0;
      this.#next = 0;
      if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** Resolves when every clear started so far has been answered (or timed out). */
  drained(): Promise<void> {
    if (this.#inFlight === 0 && this.#next === this.#queue.length) return Promise.resolve();
    return new Promise(resolve => this.#idle.push(resolve));
  }
}

export class Forgetter {
  readonly #sweeps = new Map<string, Sweep>();

  constructor(readonly mqtt: ForgetMqtt, readonly log: Log) {}

  /** True while `base` is being forgotten. */
  isSweeping(base: string): boolean {
    return this.#sweeps.has(base);
  }

  /** How far the forget of `base` has come, while it runs. */
  progress(base: string): ForgetProgress | undefined {
    const sweep = this.#sweeps.get(base);
    return sweep ? {found: sweep.found.size, cleared: sweep.cleared, failed: sweep.failed} : undefined;
  }

  /** Offer a message; returns true when it belongs to a device being forgotten (then the inventory ignores it). */
  offer(topic: string, payload: Uint8Array, retained: boolean): boolean {
    if (this.#sweeps.size === 0) return false;
    for (const [base, sweep] of this.#sweeps) {
      if (!topic.startsWith(base) || topic.charCodeAt(base.length) !== 47 /* / */) continue;
      sweep.lastMessageAt = performance.now();
      if (retained && payload.length > 0) sweep.add(topic);
      return true;
    }
    return false;
  }

  async forget(base: string, knownPaths: Iterable<string>): Promise<ForgetOutcome> {
    const sweep = new Sweep(topic => this.#clear(topic));
    this.#sweeps.set(base, sweep);
    try {
      const known = [...knownPaths].map(path => `${base}/${path}`);
      const first = known.filter(t => t.endsWith('/$state') || t.endsWith('/$online'));
      if (first.length === 0) first.push(`${base}/$state`);
      for (const topic of first) sweep.add(topic);
      await sweep.drained();
      for (const topic of known) sweep.add(topic);
      for (let round = 0; round < MAX_SWEEPS; round++) {
        const before = sweep.found.size;
        if (!(await this.#sweep(base, sweep))) break;
        await sweep.drained();
        if (sweep.found.size === before) break;
      }
      await sweep.drained();
      return {cleared: sweep.cleared, failed: sweep.failed};
    } finally {
      this.#sweeps.delete(base);
    }
  }

  /** One pass: replay `<base>/#` and let offer() clear what comes. False when the broker refused. */
  async #sweep(base: string, sweep: Sweep): Promise<boolean> {
    const filter = `${base}/#`;
    sweep.lastMessageAt = performance.now();
    if (!(await this.mqtt.subscribe({[filter]: {qos: 0}}))) return false;
    await this.mqtt.unsubscribe([`${this.mqtt.statusTopic}/barrier`]);
    const until = performance.now() + SWEEP_MAX_MS;
    while (performance.now() - sweep.lastMessageAt < QUIET_MS && performance.now() < until) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    await this.mqtt.unsubscribe([filter]);
    return true;
  }

  #clear(topic: string): Promise<boolean> {
    const publish = this.mqtt.publish(topic, Buffer.alloc(0), {qos: 1, retain: true});
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>(resolve => {
      timer = setTimeout(() => resolve(false), PUBLISH_TIMEOUT_MS);
      timer.unref();
    });
    return Promise.race([publish, timeout]).finally(() => clearTimeout(timer));
  }
}
