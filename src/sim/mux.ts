import {MqttSession, type Endpoint, type Message} from './mqtt/session.js';
import type {QoS, Will} from '../mqtt/packets.js';
import {topicMatches} from './mqtt/topic.js';
import {DEVICE_KEEPALIVE, type Credentials, type DeviceLink, type LinkHandlers} from './link.js';

/**
 * Multiplexed mode: thousands of devices share K publishing connections and one listening
 * connection. Each device still publishes exactly its own packet stream, but:
 * - the broker cannot hold a will per device, so when a device drops the pool publishes the will
 *   itself (same topic, payload, QoS, retain); if the simulator process dies, no wills are sent;
 * - subscriptions are made once per pattern with the device id replaced by `+`, and messages are
 *   routed to the devices by id; retained messages on those topics are not replayed per device;
 * - the broker sees K+1 client ids, not one per device.
 * This is the only way past the 20,000 file descriptor limit here, and it costs far less memory.
 */
interface Slot {
  session: MqttSession | null;
  connecting: Promise<string | null> | null;
  readonly links: Set<MuxLink>;
}

interface Route {
  readonly qos: QoS;
  /** level of the device id in the topic, or null for shared filters ($broadcast) */
  readonly idLevel: number | null;
  readonly byId: Map<string, Set<MuxLink>>;
  readonly all: Set<MuxLink>;
}

export class MuxPool {
  readonly #slots: Slot[];
  readonly #listener: Slot = {session: null, connecting: null, links: new Set()};
  readonly #routes = new Map<string, Route>();
  #next = 0;
  #stopped = false;

  constructor(readonly endpoint: Endpoint, readonly connections: number, readonly clientIdPrefix: string, readonly credentials: Credentials = {}) {
    this.#slots = Array.from({length: Math.max(1, connections)}, () => ({session: null, connecting: null, links: new Set<MuxLink>()}));
  }

  createLink(): MuxLink {
    const slot = this.#next++ % this.#slots.length;
    return new MuxLink(this, slot);
  }

  /** Connect a slot (or the listener) if needed; concurrent callers share one attempt. */
  ensure(index: number | 'listener'): Promise<string | null> {
    if (this.#stopped) return Promise.resolve('the fleet is stopping');
    const slot = index === 'listener' ? this.#listener : this.#slots[index]!;
    if (slot.session?.connected) return Promise.resolve(null);
    slot.connecting ??= (async () => {
      const clientId = `${this.clientIdPrefix}-${index === 'listener' ? 'in' : `out${index}`}`;
      const session = new MqttSession(this.endpoint, {clientId, keepalive: DEVICE_KEEPALIVE * 2, clean: true, ...this.credentials}, {
        onMessage: message => (index === 'listener' ? this.#route(message) : undefined),
        onClose: reason => this.#lost(slot, reason),
      });
      const error = await session.connect();
      slot.connecting = null;
      if (error) return error;
      slot.session = session;
      if (index === 'listener' && this.#routes.size > 0) {
        await session.subscribe([...this.#routes].map(([filter, route]) => [filter, route.qos] as const));
      }
      return null;
    })();
    return slot.connecting;
  }

  session(index: number): MqttSession | null {
    return this.#slots[index]!.session;
  }

  attach(link: MuxLink, index: number): void {
    this.#slots[index]!.links.add(link);
    this.#listener.links.add(link);
  }

  async register(link: MuxLink, filter: string, qos: QoS): Promise<boolean> {
    let general = filter;
    let idLevel: number | null = null;
    if (filter.startsWith(`${link.root}/`)) {
      const levels = link.root.split('/');
      idLevel = levels.length - 1;
      general = `${[...levels.slice(0, -1), '+'].join('/')}${filter.slice(link.root.length)}`;
    }
    let route = this.#routes.get(general);
    const isNew = !route || route.qos < qos;
    if (!route || route.qos < qos) {
      route = {qos: Math.max(qos, route?.qos ?? 0) as QoS, idLevel, byId: route?.byId ?? new Map(), all: route?.all ?? new Set()};
      this.#routes.set(general, route);
    }
    if (idLevel === null) route.all.add(link);
    else {
      const id = link.root.split('/')[idLevel]!;
      let set = route.byId.get(id);
      if (!set) route.byId.set(id, (set = new Set()));
      set.add(link);
    }
    link.filters.add(filter);
    if (!isNew) return true;
    const granted = await this.#listener.session?.subscribe([[general, route.qos]]);
    return Boolean(granted && granted[0] !== 128);
  }

  unregister(link: MuxLink): void {
    for (const route of this.#routes.values()) {
      route.all.delete(link);
      if (route.idLevel !== null) route.byId.get(link.root.split('/')[route.idLevel]!)?.delete(link);
    }
    link.filters.clear();
  }

  detach(link: MuxLink, index: number): void {
    this.unregister(link);
    this.#slots[index]!.links.delete(link);
    this.#listener.links.delete(link);
  }

  #route(message: Message): void {
    const levels = message.topic.split('/');
    const delivered = new Set<MuxLink>();
    for (const [filter, route] of this.#routes) {
      if (!topicMatches(filter, message.topic)) continue;
      const targets = route.idLevel === null ? route.all : route.byId.get(levels[route.idLevel] ?? '');
      if (!targets) continue;
      for (const link of targets) {
        if (delivered.has(link) || !link.connected) continue;
        if (![...link.filters].some(f => topicMatches(f, message.topic))) continue;
        delivered.add(link);
        link.deliver(message);
      }
    }
  }

  #lost(slot: Slot, reason: string): void {
    slot.session = null;
    for (const link of [...slot.links]) link.lost(reason);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const sessions = [this.#listener, ...this.#slots].map(s => s.session).filter((s): s is MqttSession => s !== null);
    for (const slot of [this.#listener, ...this.#slots]) {
      slot.session = null;
      slot.links.clear();
    }
    await Promise.all(sessions.map(s => s.disconnect()));
  }
}

export class MuxLink implements DeviceLink {
  readonly filters = new Set<string>();
  root = '';
  #will: Will | null = null;
  #handlers: LinkHandlers | null = null;
  #connected = false;

  constructor(readonly pool: MuxPool, readonly slot: number) {}

  get connected(): boolean {
    return this.#connected;
  }

  async connect(_clientId: string, will: Will, handlers: LinkHandlers): Promise<string | null> {
    this.root = will.topic.slice(0, will.topic.lastIndexOf('/'));
    const error = (await this.pool.ensure('listener')) ?? (await this.pool.ensure(this.slot));
    if (error) return error;
    this.#will = will;
    this.#handlers = handlers;
    this.#connected = true;
    this.pool.attach(this, this.slot);
    return null;
  }

  publish(topic: string, payload: string | Buffer, qos: QoS, retain: boolean): Promise<boolean> {
    const session = this.pool.session(this.slot);
    return this.#connected && session ? session.publish(topic, payload, qos, retain) : Promise.resolve(false);
  }

  subscribe(filter: string, qos: QoS): Promise<boolean> {
    return this.#connected ? this.pool.register(this, filter, qos) : Promise.resolve(false);
  }

  deliver(message: Message): void {
    this.#handlers?.onMessage(message);
  }

  /** The shared connection went away: every device on it is disconnected (no wills: the broker is gone). */
  lost(reason: string): void {
    if (!this.#connected) return;
    this.#leave();
    this.#handlers?.onClose(reason);
  }

  drop(): void {
    if (!this.#connected) return;
    const will = this.#will;
    this.#leave();
    // what the broker would do for a connection of its own: publish the will
    if (will) void this.pool.session(this.slot)?.publish(will.topic, will.payload, will.qos, will.retain);
  }

  async disconnect(): Promise<void> {
    if (this.#connected) this.#leave();
  }

  #leave(): void {
    this.#connected = false;
    this.pool.detach(this, this.slot);
  }
}
