import net from 'node:net';
import tls from 'node:tls';
import {DISCONNECT, PINGREQ, PacketReader, encodeConnect, encodePuback, encodePubcomp, encodePublish, encodePubrec, encodePubrel, encodeSubscribe, type ConnectOptions, type Incoming, type QoS} from '../../mqtt/packets.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly tls?: boolean;
  /** for mqtts: accept any certificate (a lab broker with a self-signed one) */
  readonly insecure?: boolean;
}

export interface Message {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  /** payload length announced by the PUBLISH (payload may be shorter when truncated) */
  readonly total: number;
  readonly truncated: boolean;
}

export interface SessionHandlers {
  onMessage(message: Message): void;
  /** the connection ended without us asking (broker closed it, network error, keepalive timeout) */
  onClose(reason: string): void;
}

type Pending = {resolve: (value: unknown) => void; kind: 'publish' | 'subscribe'};

const REFUSED: Record<number, string> = {
  1: 'unacceptable protocol version', 2: 'client id rejected', 3: 'server unavailable', 4: 'bad user name or password', 5: 'not authorized',
};

// One ticker for every session's keepalive: 20,000 sessions cost one timer, not 20,000.
const live = new Set<MqttSession>();
let ticker: NodeJS.Timeout | null = null;
function track(session: MqttSession): void {
  live.add(session);
  ticker ??= setInterval(() => {
    const now = Date.now();
    for (const s of live) s.keepaliveTick(now);
  }, 1000).unref();
}
function untrack(session: MqttSession): void {
  live.delete(session);
  if (live.size === 0 && ticker) {
    clearInterval(ticker);
    ticker = null;
  }
}

/**
 * One MQTT 3.1.1 connection over node:net. Like AsyncMqttClient it sends without waiting for acks
 * (publish() resolves when the ack arrives, or false when the connection ends first — never
 * rejects), answers QoS 1/2 deliveries, pings only when idle, and can end the TCP connection
 * without DISCONNECT so that the broker publishes the will.
 */
export class MqttSession {
  #socket: net.Socket | null = null;
  #pending = new Map<number, Pending>();
  #inboundQos2 = new Set<number>();
  #nextId = 1;
  #lastSent = 0;
  #pingSentAt = 0;
  #connected = false;
  #ended = false;
  packetsOut = 0;
  bytesOut = 0;

  constructor(readonly endpoint: Endpoint, readonly options: ConnectOptions, readonly handlers: SessionHandlers) {}

  get connected(): boolean {
    return this.#connected;
  }

  /** bytes queued in the socket, not yet handed to the kernel */
  get backlog(): number {
    return this.#socket?.writableLength ?? 0;
  }

  /** Connect and wait for CONNACK. Resolves null when accepted, else a reason a person can read. */
  connect(timeoutMs = 10_000): Promise<string | null> {
    return new Promise(resolve => {
      let settled = false;
      let lastError: string | null = null;
      const settle = (error: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          this.#ended = true;
          socket.destroy();
        }
        resolve(error);
      };
      const timer = setTimeout(() => settle('no CONNACK within the connect timeout'), timeoutMs);
      const {host, port} = this.endpoint;
      const socket = this.endpoint.tls
        ? tls.connect({host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: !this.endpoint.insecure})
        : net.connect({host, port});
      this.#socket = socket;
      socket.setNoDelay(true);
      socket.once(this.endpoint.tls ? 'secureConnect' : 'connect', () => this.#write(encodeConnect(this.options)));
      const reader = new PacketReader(packet => {
        if (packet.type === 'connack') {
          if (packet.code === 0) {
            this.#connected = true;
            track(this);
            settle(null);
          } else {
            settle(`broker refused the connection: ${REFUSED[packet.code] ?? `code ${packet.code}`}`);
          }
          return;
        }
        this.#onPacket(packet);
      });
      socket.on('data', chunk => {
        try {
          reader.push(chunk);
        } catch {
          this.#close('malformed packet from the broker');
        }
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        lastError = error.code ? `${error.code}` : error.message;
      });
      socket.on('close', () => {
        if (!settled) settle(lastError ?? 'connection closed before CONNACK');
        else this.#close(lastError ?? 'connection closed by the broker');
      });
    });
  }

  publish(topic: string, payload: string | Buffer, qos: QoS, retain: boolean): Promise<boolean> {
    if (!this.#connected) return Promise.resolve(false);
    if (qos === 0) {
      this.#write(encodePublish(topic, payload, 0, retain));
      return Promise.resolve(true);
    }
    const id = this.#allocateId();
    const done = new Promise<boolean>(resolve => this.#pending.set(id, {resolve: resolve as (v: unknown) => void, kind: 'publish'}));
    this.#write(encodePublish(topic, payload, qos, retain, id));
    return done;
  }

  /** Resolves the granted QoS list (128 = refused), or null when the connection ended first. */
  subscribe(filters: ReadonlyArray<readonly [string, QoS]>): Promise<number[] | null> {
    if (!this.#connected) return Promise.resolve(null);
    const id = this.#allocateId();
    const done = new Promise<number[] | null>(resolve => this.#pending.set(id, {resolve: resolve as (v: unknown) => void, kind: 'subscribe'}));
    this.#write(encodeSubscribe(id, filters));
    return done;
  }

  /** End TCP without DISCONNECT, as a device that reboots or loses Wi-Fi: the broker sends the will. */
  drop(): void {
    this.#ended = true;
    this.#close('dropped');
  }

  /** A clean DISCONNECT: the broker discards the will. */
  async disconnect(): Promise<void> {
    const socket = this.#socket;
    this.#ended = true;
    if (!socket || socket.destroyed) return;
    if (this.#connected) this.#write(DISCONNECT);
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => resolve(), 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
    this.#close('disconnected');
  }

  /** Called once a second: PINGREQ when idle for `keepalive`, give up when no PINGRESP comes back. */
  keepaliveTick(now: number): void {
    const keepalive = this.options.keepalive * 1000;
    if (!this.#connected || keepalive === 0) return;
    if (this.#pingSentAt > 0 && now - this.#pingSentAt > keepalive) {
      this.#close('no PINGRESP from the broker (keepalive timeout)');
    } else if (this.#pingSentAt === 0 && now - this.#lastSent >= keepalive) {
      this.#pingSentAt = now;
      this.#write(PINGREQ);
    }
  }

  #onPacket(packet: Incoming): void {
    switch (packet.type) {
      case 'publish':
        if (packet.qos === 1) this.#write(encodePuback(packet.id));
        if (packet.qos === 2) {
          this.#write(encodePubrec(packet.id));
          if (this.#inboundQos2.has(packet.id)) return; // a resend of one already delivered
          this.#inboundQos2.add(packet.id);
        }
        this.handlers.onMessage({topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: packet.retain, total: packet.total, truncated: packet.truncated});
        return;
      case 'pubrel':
        this.#inboundQos2.delete(packet.id);
        this.#write(encodePubcomp(packet.id));
        return;
      case 'pubrec':
        this.#write(encodePubrel(packet.id));
        return;
      case 'puback':
      case 'pubcomp':
      case 'unsuback':
        this.#settle(packet.id, true);
        return;
      case 'suback':
        this.#settle(packet.id, [...packet.granted]);
        return;
      case 'pingresp':
        this.#pingSentAt = 0;
        return;
      default:
    }
  }

  #settle(id: number, value: unknown): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    pending.resolve(value);
  }

  #allocateId(): number {
    for (let i = 0; i < 65_535; i++) {
      const id = this.#nextId;
      this.#nextId = this.#nextId >= 65_535 ? 1 : this.#nextId + 1;
      if (!this.#pending.has(id)) return id;
    }
    throw new Error('no free packet id: 65,535 messages in flight');
  }

  #write(buffer: Buffer): void {
    const socket = this.#socket;
    if (!socket || socket.destroyed) return;
    socket.write(buffer);
    this.#lastSent = Date.now();
    this.packetsOut++;
    this.bytesOut += buffer.length;
  }

  #close(reason: string): void {
    this.#connected = false;
    untrack(this);
    for (const pending of this.#pending.values()) pending.resolve(pending.kind === 'publish' ? false : null);
    this.#pending.clear();
    const socket = this.#socket;
    this.#socket = null;
    socket?.destroy();
    // only an end nobody asked for is reported (drop() and disconnect() set #ended first)
    if (!this.#ended) {
      this.#ended = true;
      this.handlers.onClose(reason);
    }
  }
}
