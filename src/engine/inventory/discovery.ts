import type {Log} from '../log.js';
import type {MqttConnection} from '../mqtt/connection.js';
import {loadRunning} from '../util/load-phase.js';
import {canSubscribe, detailFilters, deviceFilters, discoveryFilters, rowFilters} from './topics.js';

/** The MQTT connection as discovery uses it. */
export type DiscoveryMqtt = Pick<MqttConnection, 'subscribe' | 'unsubscribe' | 'statusTopic'> & Partial<Pick<MqttConnection, 'promptAcks'>>;

/**
 * How the inventory finds every device on a stock broker without losing messages.
 *
 * mosquitto drops QoS 0 messages to a client once about 1000 are waiting for its socket, and a
 * SUBSCRIBE's retained messages are queued right after its SUBACK. So:
 * 1. discovery: narrow filters at QoS 0 (`P/+/$state`, `P/+/$online`, `P/+/$homie`, `P/5/+/$state`),
 *    each matching at most one retained message per device; then, the same way, the attributes that
 *    identify a device (`P/+/$fw/name`, `P/+/$localip`, … see rowFilters), then the rest a row and its
 *    nodes show (`P/+/$name`, `P/+/+/$properties`, … see detailFilters): one filter per SUBSCRIBE and the
 *    next sent only when the previous SUBACK is in, so at most two filters' retained messages wait at the
 *    broker. One UNSUBSCRIBE of a stage's filters ends it: its UNSUBACK comes after all their messages
 *    (rowsAt, detailsAt), and live changes then come once, through the device's own filters;
 * 2. per device: three filters (`base/+`, `base/+/+`, `base/+/+/+`; no `#`, so firmware pushes do not
 *    echo back) sent in small batches, many in flight, sized from the topics per device seen so far so that
 *    all batches in flight produce at most IN_FLIGHT_BUDGET retained messages. A batch's retained
 *    messages arrive before the SUBACK of the next one, so no more than that can ever wait for us at
 *    the broker, even if we stall.
 * 3. a barrier (an UNSUBSCRIBE of a filter we never used; its UNSUBACK comes after everything before
 *    it) and a short quiet period mark "every attribute loaded", then discovery runs once more to
 *    catch any device whose discovery messages a busy broker dropped.
 * Everything restarts after each reconnect: the session is clean and the MQTT client does not resubscribe by itself.
 */

export type DiscoveryPhase = 'offline' | 'discovering' | 'loading' | 'verifying' | 'complete';

export interface DiscoveryStatus {
  readonly phase: DiscoveryPhase;
  /** devices subscribed (their retained topics requested) in this session */
  readonly subscribed: number;
  /** devices waiting for their subscription */
  readonly queued: number;
  /** ms since epoch: this session's discovery started / every device discovered by then had all its topics */
  readonly startedAt?: number;
  readonly completedAt?: number;
  /**
   * ms since epoch: this session's devices found by then had the attributes that identify them
   * (firmware name and version, IP, nodes), before their own subscriptions delivered the rest
   */
  readonly rowsAt?: number;
  /** ms since epoch: and their name, signal, uptime and each node's properties */
  readonly detailsAt?: number;
  /** devices found by the verification pass that the first pass missed */
  readonly lateFinds: number;
  /**
   * devices whose retained attributes are still arriving: waiting for their subscription, or
   * subscribed in a batch whose messages are not known to be all in (while discovering: every device)
   */
  readonly loading: number;
}

/**
 * Retained messages all batches in flight may produce together. A stalled reader leaves them in the
 * socket buffers (at least ~140 KB on a default Linux TCP connection) and in mosquitto's queue of
 * 1000: 1600 messages of typical Homie size fit with room to spare.
 */
export const IN_FLIGHT_BUDGET = 1600;
/**
 * Retained messages per batch. Many small batches in flight rather than two large ones keep the broker
 * busy: mosquitto holds small writes back (Nagle) until we acknowledge, and a deep queue of SUBSCRIBEs
 * hides that wait (measured with 20,000 devices: 3.8 s instead of 6.2 s for the same budget).
 */
const BATCH_MESSAGES = 100;
const MAX_BATCH_DEVICES = 100;
/**
 * After the barrier, the load counts as done once no retained message has come for this long: aedes
 * (the embedded broker) sends retained messages after the SUBACK, so its barrier alone comes early.
 */
const QUIET_MS = 100;
/** longest a first load may hold back writing inventory.json (devices that keep coming can delay "complete") */
const FIRST_LOAD_MS = 30_000;
/** verification passes after the first load */
const MAX_VERIFY_PASSES = 2;

export interface DiscoveryHost {
  /** bases of every device known now (re-subscribed after a reconnect) */
  knownBases(): Iterable<string>;
  /** retained topics held now for one device */
  topicCount(base: string): number;
  /** devices known now (to tell whether a verification pass found new ones) */
  deviceCount(): number;
  /** the phase changed (progress counts are read when drawing, once a second) */
  changed(): void;
}

export class Discovery {
  #session = 0;
  #phase: DiscoveryPhase = 'offline';
  /** bases waiting for their subscription; `#head` is the next one (no O(n) shifts on 20,000 entries) */
  #queue: string[] = [];
  #head = 0;
  readonly #queued = new Set<string>();
  readonly #subscribed = new Set<string>();
  #inFlight = 0;
  #startedAt: number | undefined;
  #completedAt: number | undefined;
  #rowsAt: number | undefined;
  #detailsAt: number | undefined;
  #lateFinds = 0;
  #passes = 0;
  #countBeforePass = 0;
  /** the verification passes of this session are done; later devices just load */
  #verified = false;
  /** the batch whose SUBACK came last: its retained messages are complete at the next SUBACK */
  #previousBatch: string[] = [];
  /** subscribed, and their retained messages not known to be all in yet */
  readonly #awaiting = new Set<string>();
  #loadedDevices = 0;
  #loadedTopics = 0;
  /** retained messages seen (a count, not a time: no clock is read per message) */
  #retained = 0;
  /** this session's first load has run longer than FIRST_LOAD_MS */
  #firstLoadExpired = false;
  #firstLoadTimer: NodeJS.Timeout | null = null;
  /** a pump is due once the messages already read are handled */
  #pumpDue = false;

  constructor(readonly mqtt: DiscoveryMqtt, readonly prefixes: readonly string[], readonly host: DiscoveryHost, readonly log: Log, readonly now: () => number) {}

  /** false while this session's first load is running, for at most FIRST_LOAD_MS (cheap: called for every message) */
  get firstLoadDone(): boolean {
    return this.#completedAt !== undefined || this.#phase === 'offline' || this.#firstLoadExpired;
  }

  get status(): DiscoveryStatus {
    const loading = this.#phase === 'discovering' ? this.host.deviceCount() : this.#queued.size + this.#awaiting.size;
    return {phase: this.#phase, subscribed: this.#subscribed.size, queued: this.#queued.size, startedAt: this.#startedAt, completedAt: this.#completedAt, rowsAt: this.#rowsAt, detailsAt: this.#detailsAt, lateFinds: this.#lateFinds, loading};
  }

  /** The device's retained attributes are still arriving (see DiscoveryStatus.loading). */
  isLoading(base: string): boolean {
    return this.#phase === 'discovering' || this.#queued.has(base) || this.#awaiting.has(base);
  }

  /** After every (re)connect: forget the old session's subscriptions and start over. */
  async connected(): Promise<void> {
    const session = ++this.#session;
    this.#queue = [];
    this.#head = 0;
    this.#queued.clear();
    this.#subscribed.clear();
    this.#awaiting.clear();
    this.#previousBatch = [];
    this.#inFlight = 0;
    this.#passes = 0;
    this.#verified = false;
    this.#lateFinds = 0;
    this.#startedAt = this.now();
    this.#completedAt = undefined;
    this.#rowsAt = undefined;
    this.#detailsAt = undefined;
    this.#firstLoadExpired = false;
    if (this.#firstLoadTimer) clearTimeout(this.#firstLoadTimer);
    this.#firstLoadTimer = setTimeout(() => (this.#firstLoadExpired = true), FIRST_LOAD_MS).unref();
    this.#setPhase('discovering');
    const filters = this.prefixes.flatMap(discoveryFilters);
    const ok = await this.mqtt.subscribe(Object.fromEntries(filters.map(f => [f, {qos: 0 as const}])));
    if (session !== this.#session) return;
    if (!ok) {
      this.log.warn('could not subscribe to the discovery topics; retrying after the next reconnect');
      return;
    }
    const rows = await this.#wildcards(session, this.prefixes.flatMap(rowFilters));
    if (rows === null) return;
    this.#rowsAt = rows;
    const details = await this.#wildcards(session, this.prefixes.flatMap(detailFilters));
    if (details === null) return;
    this.#detailsAt = details;
    this.#setPhase('loading');
    for (const base of this.host.knownBases()) this.want(base);
    this.#pump();
  }

  /**
   * One stage of attributes for every device, filter by filter (see the top of this file). Resolves
   * when all their messages are in (undefined: not known, a SUBSCRIBE failed), or null when the session
   * ended meanwhile. A failed filter is not fatal: each device's own filters deliver the same attributes
   * a little later. (A filter the broker refuses in its SUBACK is only logged by the connection: the
   * stage is then said to be in without its messages.)
   */
  async #wildcards(session: number, filters: readonly string[]): Promise<number | undefined | null> {
    let all = true;
    for (const filter of filters) {
      all = await this.mqtt.subscribe({[filter]: {qos: 0}});
      if (session !== this.#session) return null;
      if (!all) break;
    }
    const ended = filters.length === 0 || (await this.mqtt.unsubscribe([...filters]));
    if (session !== this.#session) return null;
    return all && ended ? this.now() : undefined;
  }

  disconnected(): void {
    this.#session++;
    this.#queued.clear();
    this.#awaiting.clear();
    this.#setPhase('offline');
  }

  /** Ask for a device's topics (once per session). */
  want(base: string): void {
    if (this.#phase === 'offline' || this.#phase === 'discovering') return; // connected() will collect it
    if (this.#subscribed.has(base) || this.#queued.has(base) || !canSubscribe(base)) return;
    this.#queue.push(base);
    this.#queued.add(base);
    if (this.#phase === 'complete') this.#setPhase('loading');
    this.#pumpSoon();
  }

  /**
   * Devices are found by the hundred in one read of the socket: subscribe them once that read is
   * handled, in full batches, instead of a batch of one per device found.
   */
  #pumpSoon(): void {
    if (this.#pumpDue) return;
    this.#pumpDue = true;
    setImmediate(() => {
      this.#pumpDue = false;
      if (this.#phase !== 'offline' && this.#phase !== 'discovering') this.#pump();
    });
  }

  /** A retained message arrived (cheap: called for every one). */
  sawRetained(): void {
    this.#retained++;
  }

  /** Stop receiving a forgotten device's topics. */
  async drop(base: string): Promise<void> {
    // a queued base is skipped when its turn comes
    this.#queued.delete(base);
    this.#awaiting.delete(base);
    if (this.#subscribed.delete(base)) await this.mqtt.unsubscribe(deviceFilters(base));
  }

  isSubscribed(base: string): boolean {
    return this.#subscribed.has(base);
  }

  /** Retained topics to expect per device: measured on loaded devices, with a margin; 40 until measured. */
  get topicsPerDevice(): number {
    if (this.#loadedDevices < 5) return 40;
    return Math.max(4, (1.25 * this.#loadedTopics) / this.#loadedDevices);
  }

  #measure(batch: string[]): void {
    for (const base of this.#previousBatch) {
      this.#loadedDevices++;
      this.#loadedTopics += this.host.topicCount(base);
      this.#awaiting.delete(base);
    }
    this.#previousBatch = batch;
  }

  #batchSize(): number {
    return Math.max(1, Math.min(MAX_BATCH_DEVICES, Math.round(BATCH_MESSAGES / this.topicsPerDevice)));
  }

  /** Batches in flight: as many as the budget allows (at least 2, so the broker never waits for us). */
  #maxInFlight(): number {
    return Math.max(2, Math.floor(IN_FLIGHT_BUDGET / (this.#batchSize() * this.topicsPerDevice)));
  }

  #pump(): void {
    const session = this.#session;
    const maxInFlight = this.#maxInFlight();
    while (this.#inFlight < maxInFlight && this.#queued.size > 0) {
      const size = this.#batchSize();
      const batch: string[] = [];
      const filters: Record<string, {qos: 0}> = {};
      while (batch.length < size && this.#head < this.#queue.length) {
        const base = this.#queue[this.#head++]!;
        if (!this.#queued.delete(base)) continue; // dropped while waiting
        batch.push(base);
        this.#subscribed.add(base);
        this.#awaiting.add(base);
        for (const filter of deviceFilters(base)) filters[filter] = {qos: 0};
      }
      if (this.#head >= this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      if (batch.length === 0) break;
      this.#inFlight++;
      void this.mqtt.subscribe(filters).then(ok => {
        if (session !== this.#session) return;
        this.#inFlight--;
        if (!ok) {
          // not connected any more: the next connect starts over
          for (const base of batch) {
            this.#subscribed.delete(base);
            this.#awaiting.delete(base);
          }
          return;
        }
        this.#measure(batch);
        this.#pump();
      });
    }
    if (this.#inFlight === 0 && this.#queued.size === 0 && this.#phase === 'loading') void this.#finish(session);
  }

  /** Everything asked for has arrived: note it, then run discovery again to catch what a busy broker dropped. */
  async #finish(session: number): Promise<void> {
    this.#setPhase('verifying');
    // what was asked for before the barrier is all in once it and the quiet period have passed
    const asked = [...this.#awaiting];
    const ok = await this.mqtt.unsubscribe([`${this.mqtt.statusTopic}/barrier`]);
    if (session !== this.#session || !ok) return;
    // bounded: a stream of new devices must not hold "complete" back forever
    for (let i = 0, seen = -1; i < 10 && seen !== this.#retained; i++) {
      seen = this.#retained;
      await new Promise(resolve => setTimeout(resolve, QUIET_MS).unref());
      if (session !== this.#session) return;
    }
    // the first load is done: every device discovered so far has all its topics (devices that showed
    // up meanwhile are new arrivals, loaded next; a fleet that keeps growing cannot hold this back)
    if (this.#completedAt === undefined) this.#completedAt = this.now();
    for (const base of asked) this.#awaiting.delete(base);
    this.host.changed();
    if (this.#queued.size > 0 || this.#inFlight > 0) {
      this.#setPhase('loading');
      this.#pump();
      return;
    }
    if (this.#verified) {
      this.#setPhase('complete');
      return;
    }
    if (this.#passes > 0) this.#lateFinds += Math.max(0, this.host.deviceCount() - this.#countBeforePass);
    if (this.#passes < MAX_VERIFY_PASSES && (this.#passes === 0 || this.host.deviceCount() > this.#countBeforePass)) {
      this.#passes++;
      this.#countBeforePass = this.host.deviceCount();
      // a repeated SUBSCRIBE re-sends the retained messages (MQTT 3.1.1 §3.8.4)
      const filters = this.prefixes.flatMap(discoveryFilters);
      this.#setPhase('loading');
      const resent = await this.mqtt.subscribe(Object.fromEntries(filters.map(f => [f, {qos: 0 as const}])));
      if (session !== this.#session || !resent) return;
      this.#pump();
      return;
    }
    this.#verified = true;
    if (this.#lateFinds > 0) this.log.warn(`discovery found ${this.#lateFinds} device(s) late: the broker dropped messages on the first pass (a slow link or a busy broker)`);
    this.#setPhase('complete');
  }

  #setPhase(phase: DiscoveryPhase): void {
    if (phase === this.#phase) return;
    this.#phase = phase;
    this.mqtt.promptAcks?.(loadRunning(phase));
    this.host.changed();
  }
}
