import type net from 'node:net';
import {DISCONNECT, PINGREQ, PacketError, PacketReader, encodeConnect, encodePuback, encodePubcomp, encodePublish, encodePubrec, encodeSubscribe, encodeUnsubscribe, type ConnectOptions, type Incoming, type IncomingPublish, type QoS} from '../../mqtt/packets.js';

/** What homie-ota publishes with: QoS 0, or QoS 1 (settled by the broker's PUBACK). */
export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

/**
 * How a publish ended: `sent` (a QoS 0 message written, or the broker's PUBACK came), `not sent` (no
 * connection: nothing left), or `unconfirmed` (written, but the connection ended before the PUBACK:
 * the broker may have it, and may have delivered it).
 */
export type PublishOutcome = 'sent' | 'not sent' | 'unconfirmed';

/** What a handler learns of a message besides its topic and payload. */
export interface MessageInfo {
  readonly retain: boolean;
  readonly qos: QoS;
  readonly dup: boolean;
}

export interface ClientOptions extends ConnectOptions {
  /** a new TCP or TLS connection to the broker */
  readonly socket: () => net.Socket;
  /** no CONNACK this long after the connection was opened: it is closed and tried again (default 10 s) */
  readonly connectTimeoutMs?: number;
  /** the pause before the next attempt after a connection ends or is refused (default 2 s) */
  readonly reconnectMs?: number;
  /** larger incoming packets end the connection (default 16 MiB of payload plus a topic) */
  readonly maxPayload?: number;
}

export interface ClientHandlers {
  /** the broker accepted CONNECT */
  connect(): void;
  /** a connection ended (accepted or not); the next attempt follows unless end() was called */
  close(): void;
  /** the next attempt starts */
  reconnect(): void;
  /** why a connection failed or ended: a socket error (with its code), a refused CONNACK (code = return code), a timeout */
  error(error: Error & {code?: string | number}): void;
  /** an incoming PUBLISH; `payload` is a view into the socket's read, valid while the handler runs */
  message(topic: string, payload: Buffer, info: MessageInfo): void;
  /** bytes arrived from the broker */
  data(): void;
}

type Pending = {readonly kind: 'publish' | 'subscribe' | 'unsubscribe'; readonly resolve: (value: never) => void};

const REFUSED: Record<number, string> = {
  1: 'unacceptable protocol version', 2: 'client id rejected', 3: 'server unavailable', 4: 'bad user name or password', 5: 'not authorized',
};

/**
 * An MQTT 3.1.1 client for homie-ota's one connection to its broker, clean session: it connects,
 * keeps the connection alive, and tries again every few seconds after it ends or is refused, until
 * end(). Nothing is queued or sent again: a publish, subscribe or unsubscribe while it is away, or one
 * still waiting for its answer when the connection ends, settles as failed (a publish says which of
 * the two, as only the second may have reached the broker). Subscriptions
 * are not replayed: the owner subscribes again after each `connect`.
 */
export class MqttClient {
  #socket: net.Socket | null = null;
  #connected = false;
  #ended = false;
  readonly #pending = new Map<number, Pending>();
  /** QoS 2 deliveries answered with PUBREC and not yet released: a resend is not delivered twice */
  readonly #inboundQos2 = new Set<number>();
  #nextId = 1;
  #connectTimer: NodeJS.Timeout | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #keepaliveTimer: NodeJS.Timeout | null = null;
  #lastSent = 0;
  #lastReceived = 0;
  #pingSentAt = 0;

  constructor(readonly options: ClientOptions, readonly handlers: ClientHandlers) {}

  get connected(): boolean {
    return this.#connected;
  }

  /** message ids waiting for their answer */
  get pending(): number {
    return this.#pending.size;
  }

  start(): void {
    this.#ended = false;
    if (!this.#socket && !this.#reconnectTimer) this.#open();
  }

  #open(): void {
    const socket = this.options.socket();
    this.#socket = socket;
    socket.setNoDelay(true);
    const reader = new PacketReader(packet => this.#onPacket(socket, packet), this.options.maxPayload, 'refuse');
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.#socket) return;
      this.#lastReceived = performance.now();
      // the broker is alive: its PINGRESP may wait behind a long run of retained messages
      this.#pingSentAt = 0;
      try {
        reader.push(chunk);
      } catch (error) {
        const why = error instanceof PacketError ? `the broker sent ${error.message}` : `handling a packet from the broker: ${(error as Error).message}`;
        this.handlers.error(new Error(`${why}; closing the connection`));
        socket.destroy();
        return;
      }
      this.handlers.data();
    });
    socket.on('error', error => this.handlers.error(error));
    socket.on('close', () => this.#closed(socket));
    this.#connectTimer = setTimeout(() => {
      this.handlers.error(new Error(`no answer to CONNECT within ${this.#connectTimeoutMs / 1000} s; trying again`));
      socket.destroy();
    }, this.#connectTimeoutMs);
    // a socket holds what is written before it is connected (or, for TLS, before the handshake)
    this.#write(socket, encodeConnect(this.options));
  }

  get #connectTimeoutMs(): number {
    return this.options.connectTimeoutMs ?? 10_000;
  }

  #onPacket(socket: net.Socket, packet: Incoming): void {
    switch (packet.type) {
      case 'publish':
        return this.#publishArrived(socket, packet);
      case 'connack':
        return this.#connack(socket, packet.code);
      case 'pubrel':
        this.#inboundQos2.delete(packet.id);
        this.#write(socket, encodePubcomp(packet.id));
        return;
      case 'puback':
        return this.#settle(packet.id, 'publish', 'sent');
      case 'unsuback':
        return this.#settle(packet.id, 'unsubscribe', true);
      case 'suback':
        return this.#settle(packet.id, 'subscribe', packet.granted);
      case 'pingresp':
        this.#pingSentAt = 0;
        return;
      default:
    }
  }

  #publishArrived(socket: net.Socket, packet: IncomingPublish): void {
    if (packet.qos === 1) this.#write(socket, encodePuback(packet.id));
    if (packet.qos === 2) {
      this.#write(socket, encodePubrec(packet.id));
      if (this.#inboundQos2.has(packet.id)) return;
      this.#inboundQos2.add(packet.id);
    }
    this.handlers.message(packet.topic, packet.payload, packet);
  }

  #connack(socket: net.Socket, code: number): void {
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
    if (code !== 0) {
      this.handlers.error(Object.assign(new Error(`Connection refused: ${REFUSED[code] ?? `return code ${code}`}`), {code}));
      socket.destroy();
      return;
    }
    this.#connected = true;
    this.#pingSentAt = 0;
    this.#lastReceived = performance.now();
    this.#scheduleKeepalive(this.options.keepalive * 1000);
    this.handlers.connect();
  }

  #closed(socket: net.Socket): void {
    if (socket !== this.#socket) return;
    this.#socket = null;
    this.#connected = false;
    for (const timer of [this.#connectTimer, this.#keepaliveTimer]) if (timer) clearTimeout(timer);
    this.#connectTimer = this.#keepaliveTimer = null;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#inboundQos2.clear();
    for (const {kind, resolve} of pending) (resolve as (value: unknown) => void)(kind === 'subscribe' ? null : kind === 'publish' ? 'unconfirmed' : false);
    this.handlers.close();
    if (this.#ended) return;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#ended) return;
      this.handlers.reconnect();
      this.#open();
    }, this.options.reconnectMs ?? 2000);
  }

  /**
   * Keepalive: a PINGREQ once nothing was sent or nothing received for the keepalive period; when
   * nothing at all comes from the broker for half of it more, the connection is taken for dead and dropped.
   */
  #scheduleKeepalive(inMs: number): void {
    if (this.options.keepalive === 0) return;
    this.#keepaliveTimer = setTimeout(() => this.#keepalive(), Math.max(1, inMs));
  }

  #keepalive(): void {
    const socket = this.#socket;
    if (!socket || !this.#connected) return;
    const period = this.options.keepalive * 1000;
    const now = performance.now();
    if (this.#pingSentAt > 0) {
      const waited = now - this.#pingSentAt;
      if (waited >= period / 2) {
        this.handlers.error(new Error(`no answer to PINGREQ within ${(waited / 1000).toFixed(1)} s: the broker stopped answering; reconnecting`));
        socket.destroy();
        return;
      }
      return this.#scheduleKeepalive(period / 2 - waited);
    }
    const idle = now - Math.min(this.#lastSent, this.#lastReceived);
    if (idle < period) return this.#scheduleKeepalive(period - idle);
    this.ping();
    this.#scheduleKeepalive(period / 2);
  }

  /** A PINGREQ now (its answer counts for the keepalive). */
  ping(): void {
    const socket = this.#socket;
    if (!socket || !this.#connected) return;
    if (this.#pingSentAt === 0) this.#pingSentAt = performance.now();
    this.#write(socket, PINGREQ);
  }

  /** QoS 0: sent once handed to the socket; QoS 1: sent when the broker's PUBACK comes. */
  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<PublishOutcome> {
    const socket = this.#socket;
    if (!socket || !this.#connected) return Promise.resolve('not sent');
    if (options.qos === 0) {
      this.#write(socket, encodePublish(topic, payload, 0, options.retain));
      return Promise.resolve('sent');
    }
    return this.#request<PublishOutcome>('publish', 'not sent', id => encodePublish(topic, payload, 1, options.retain, id));
  }

  /** The granted QoS of each filter (128: refused), or null when not connected or the connection ended first. */
  subscribe(filters: ReadonlyArray<readonly [string, QoS]>): Promise<readonly number[] | null> {
    return this.#request<readonly number[] | null>('subscribe', null, id => encodeSubscribe(id, filters));
  }

  unsubscribe(filters: readonly string[]): Promise<boolean> {
    return this.#request<boolean>('unsubscribe', false, id => encodeUnsubscribe(id, filters));
  }

  /** A packet that waits for its answer under a message id no other waiting packet holds. */
  #request<T>(kind: Pending['kind'], failed: T, encode: (id: number) => Buffer): Promise<T> {
    const socket = this.#socket;
    const id = this.#freeId();
    if (!socket || !this.#connected || id === 0) return Promise.resolve(failed);
    const packet = encode(id);
    return new Promise<T>(resolve => {
      this.#pending.set(id, {kind, resolve: resolve as (value: never) => void});
      this.#write(socket, packet);
    });
  }

  /** The next message id not waiting for an answer (they wrap from 65,535 to 1); 0 when all are. */
  #freeId(): number {
    for (let i = 0; i < 65_535; i++) {
      const id = this.#nextId;
      this.#nextId = id >= 65_535 ? 1 : id + 1;
      if (!this.#pending.has(id)) return id;
    }
    return 0;
  }

  #settle(id: number, kind: Pending['kind'], value: unknown): void {
    const pending = this.#pending.get(id);
    // an answer of another kind than the packet waiting under its id is the broker's mistake: ignored
    if (!pending || pending.kind !== kind) return;
    this.#pending.delete(id);
    (pending.resolve as (value: unknown) => void)(value);
  }

  /** Packets written in one tick (a window of SUBSCRIBEs) leave in one system call. */
  #write(socket: net.Socket, packet: Buffer): void {
    if (socket.destroyed) return;
    if (socket.writableCorked === 0) {
      socket.cork();
      process.nextTick(uncork, socket);
    }
    socket.write(packet);
    this.#lastSent = performance.now();
  }

  /** DISCONNECT (when connected) and close; no more attempts. Waits up to `waitMs` for the broker to close its side. */
  async end(waitMs = 1000): Promise<void> {
    this.#ended = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const socket = this.#socket;
    if (!socket) return;
    if (this.#connected) this.#write(socket, DISCONNECT);
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, waitMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
    socket.destroy();
  }
}

const uncork = (socket: net.Socket): void => {
  socket.uncork();
};
