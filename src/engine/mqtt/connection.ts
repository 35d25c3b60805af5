import net from 'node:net';
import tls from 'node:tls';
import type {MqttSettings} from '../../config/schema.js';
import type {Log} from '../log.js';
import {readRegularFileSync} from '../util/safe-file.js';
import {printable} from '../util/text.js';
import {MqttClient, type MessageInfo, type PublishOptions, type PublishOutcome} from './client.js';

export type {MessageInfo, PublishOptions, PublishOutcome} from './client.js';

export type MqttStateName = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface MqttStatus {
  readonly state: MqttStateName;
  /** broker address without credentials, e.g. mqtt://10.0.0.2:1883 */
  readonly url: string;
  /** when the current state began (ms since epoch) */
  readonly since: number;
  readonly lastError?: string;
  /** how many times a connection was (re)established */
  readonly connects: number;
}

/** `payload` is a view into the socket's read: a handler copies what it keeps */
export type MessageHandler = (topic: string, payload: Buffer, info: MessageInfo) => void;

/** Timings a test may shorten; the defaults are homie-ota's. */
export interface MqttTimings {
  /** seconds (30) */
  readonly keepalive?: number;
  readonly connectTimeoutMs?: number;
  readonly reconnectMs?: number;
}

/** a connection the broker closes this soon after it was made counts as "thrown off" */
const SHORT_CONNECTION_MS = 10_000;
/** …and this many of them in a row are taken for another client using our client id */
const TAKEOVERS_TO_WARN = 3;
/** our status topic is set back to online at most this often (someone may publish "offline" in a loop) */
const STATUS_FIX_EVERY_MS = 5000;
/** while acknowledging promptly, incoming data that pauses this long is answered */
const PROMPT_ACK_MS = 3;

/**
 * homie-ota's connection to its broker, over its own MQTT client: it connects, reconnects on its own
 * (also after a refused CONNACK), reports its state, and never throws into its callers. Subscriptions
 * are not replayed; owners re-subscribe in `onConnect`, which runs after every (re)connect.
 */
export class MqttConnection {
  #client: MqttClient | null = null;
  #status: MqttStatus;
  readonly #handlers: MessageHandler[] = [];
  readonly #connectHandlers: Array<() => void> = [];
  readonly #statusListeners: Array<(status: MqttStatus) => void> = [];
  #port: number;
  #connectedAt = 0;
  #shortConnections = 0;
  #takeoverWarned = false;
  #statusFixedAt = -Infinity;
  #statusLoggedAt = -Infinity;
  #statusFix: NodeJS.Timeout | null = null;
  #promptAcks = false;
  #ackTimer: NodeJS.Timeout | null = null;

  constructor(readonly settings: MqttSettings, readonly log: Log, readonly now: () => number = Date.now, readonly timings: MqttTimings = {}) {
    this.#port = settings.port;
    this.#status = {state: 'closed', url: this.url, since: now(), connects: 0};
  }

  /** broker address without credentials */
  get url(): string {
    const s = this.settings;
    return `${s.tls ? 'mqtts' : 'mqtt'}://${s.host.includes(':') ? `[${s.host}]` : s.host}:${this.#port}`;
  }

  /** Point at another port before start (the embedded broker's real port when 0 was asked for). */
  setPort(port: number): void {
    this.#port = port;
    this.#status = {...this.#status, url: this.url};
  }

  get status(): MqttStatus {
    return this.#status;
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  get statusTopic(): string {
    return `${this.settings.eventsTopic}/status`;
  }

  onMessage(handler: MessageHandler): void {
    this.#handlers.push(handler);
  }

  /** Runs after every successful connect; must be idempotent. */
  onConnect(handler: () => void): void {
    this.#connectHandlers.push(handler);
  }

  /**
   * While a large load of retained messages is asked for in a window of subscriptions: a stock
   * mosquitto leaves Nagle's algorithm on, so its small writes wait for our TCP acknowledgement, which
   * Linux delays up to 40 ms when we have nothing to send. Each window then stalls 40 ms (about 100
   * stalls for 5,000 devices). When incoming data pauses for PROMPT_ACK_MS, a PINGREQ (2 bytes)
   * carries the acknowledgement at once; while data flows nothing is sent (each PINGREQ costs the broker
   * a wake-up, and a steady flow is acknowledged anyway).
   */
  promptAcks(on: boolean): void {
    this.#promptAcks = on;
  }

  #dataArrived(client: MqttClient): void {
    if (!this.#promptAcks) return;
    if (this.#ackTimer) {
      this.#ackTimer.refresh();
      return;
    }
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = null;
      if (this.#client === client) client.ping();
    }, PROMPT_ACK_MS);
  }

  onStatus(listener: (status: MqttStatus) => void): void {
    this.#statusListeners.push(listener);
  }

  #setStatus(patch: Partial<MqttStatus>): void {
    const changedState = patch.state !== undefined && patch.state !== this.#status.state;
    this.#status = {...this.#status, ...patch, ...(changedState ? {since: this.now()} : {})};
    for (const listener of this.#statusListeners) listener(this.#status);
  }

  /** A new connection to the broker, TCP or TLS (an untrusted certificate fails it with the socket's error). */
  #socket(credentials: {ca?: Buffer; cert?: Buffer; key?: Buffer}): net.Socket {
    const s = this.settings;
    if (!s.tls) return net.createConnection({host: s.host, port: this.#port});
    return tls.connect({host: s.host, port: this.#port, servername: net.isIP(s.host) === 0 ? s.host : undefined, rejectUnauthorized: true, ...credentials});
  }

  start(): void {
    const s = this.settings;
    // read once per start; never blocks on a FIFO swapped in since the settings were checked
    const read = (file: string | undefined) => (s.tls && file ? readRegularFileSync(file, {followLinks: true}) : undefined);
    const credentials = {ca: read(s.caFile), cert: read(s.certFile), key: read(s.keyFile)};
    this.#setStatus({state: 'connecting'});
    this.log.info(`connecting to ${this.url}${s.username ? ` as ${s.username}` : ''}`);
    const client: MqttClient = new MqttClient({
      socket: () => this.#socket(credentials),
      clientId: s.clientId,
      clean: true,
      keepalive: this.timings.keepalive ?? 30,
      connectTimeoutMs: this.timings.connectTimeoutMs ?? 10_000,
      reconnectMs: this.timings.reconnectMs ?? 2000,
      username: s.username,
      password: s.password,
      will: {topic: this.statusTopic, payload: 'offline', qos: 1, retain: true},
    }, {
      connect: () => this.#connected(client),
      reconnect: () => this.#setStatus({state: 'reconnecting'}),
      close: () => {
        if (this.#client !== client || this.#status.state !== 'connected') return;
        this.#closed();
        this.#setStatus({state: 'reconnecting'});
      },
      error: error => {
        if (this.#client !== client) return;
        const message = describeMqttError(error);
        if (message !== this.#status.lastError) this.log.warn(`broker ${this.url}: ${message}`);
        this.#setStatus({lastError: message});
      },
      message: (topic, payload, info) => {
        if (topic === this.statusTopic) return this.#ownStatus(client, payload);
        for (const handler of this.#handlers) {
          try {
            handler(topic, payload, info);
          } catch (error) {
            this.log.error(`handling ${topic.slice(0, 120)}: ${(error as Error).message}`);
          }
        }
      },
      data: () => this.#dataArrived(client),
    });
    this.#client = client;
    client.start();
  }

  #connected(client: MqttClient): void {
    this.#setStatus({state: 'connected', connects: this.#status.connects + 1, lastError: undefined});
    this.log.info(`connected to ${this.url}`);
    this.#connectedAt = performance.now();
    void client.publish(this.statusTopic, 'online', {qos: 1, retain: true});
    // watch our own status topic: a retained "offline" someone else publishes is set right
    void client.subscribe([[this.statusTopic, 0]]);
    for (const handler of this.#connectHandlers) {
      try {
        handler();
      } catch (error) {
        this.log.error(`after connect: ${(error as Error).message}`);
      }
    }
  }

  /**
   * The broker closed our connection. A broker keeps one connection per client id: when another client
   * connects with ours, it throws us off, we reconnect and throw it off, and so on. MQTT 3.1.1 gives no
   * reason (MQTT 5's 0x8E "session taken over" needs a protocol homie-ota's brokers do not all speak), so
   * connections that end right after they were made, several times in a row, are named as that.
   */
  #closed(): void {
    const lived = performance.now() - this.#connectedAt;
    this.#shortConnections = lived < SHORT_CONNECTION_MS ? this.#shortConnections + 1 : 0;
    if (this.#shortConnections === 0) this.#takeoverWarned = false;
    if (this.#shortConnections >= TAKEOVERS_TO_WARN && !this.#takeoverWarned) {
      this.#takeoverWarned = true;
      this.log.warn(`the broker ${this.url} closed homie-ota's connection ${this.#shortConnections} times within seconds of connecting: another MQTT client is probably using homie-ota's client id "${printable(this.settings.clientId)}" (a broker keeps one connection per id and drops the other); give each program its own MQTT_CLIENT_ID`);
    } else if (!this.#takeoverWarned) {
      this.log.warn(`connection to ${this.url} lost; reconnecting`);
    }
  }

  /**
   * Our status topic says something else than "online" while we run: another client published it (a
   * will of a client that took our id, a prank). Set it right, at most once every few seconds.
   */
  #ownStatus(client: MqttClient, payload: Buffer): void {
    const text = payload.toString('utf8');
    if (text === 'online' || this.#statusFix) return;
    const wait = Math.max(0, this.#statusFixedAt + STATUS_FIX_EVERY_MS - performance.now());
    this.#statusFix = setTimeout(() => {
      this.#statusFix = null;
      if (this.#client !== client || !client.connected) return;
      const now = performance.now();
      if (now - this.#statusLoggedAt > 60_000) {
        this.#statusLoggedAt = now;
        this.log.warn(`${this.statusTopic} was set to "${printable(text.slice(0, 40))}" by another client while homie-ota runs; set back to online (retained)`);
      }
      this.#statusFixedAt = now;
      void client.publish(this.statusTopic, 'online', {qos: 1, retain: true});
    }, wait);
    this.#statusFix.unref();
  }

  /** Publish; resolves false instead of throwing when the broker is away, or the connection ends before a QoS 1 PUBACK. */
  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {qos: 1, retain: false}): Promise<boolean> {
    return (await this.send(topic, payload, options)) === 'sent';
  }

  /** Publish, saying whether the message never left, or left and went unconfirmed (then logged: the broker may have it). */
  async send(topic: string, payload: string | Buffer, options: PublishOptions = {qos: 1, retain: false}): Promise<PublishOutcome> {
    const client = this.#client;
    if (!client || !client.connected) return 'not sent';
    try {
      const outcome = await client.publish(topic, payload, options);
      if (outcome === 'unconfirmed') this.log.warn(`publish to ${topic.slice(0, 120)}: the connection ended before the broker confirmed it`);
      return outcome;
    } catch (error) {
      // an unsendable message (a topic over 65,535 bytes)
      this.log.warn(`publish to ${topic.slice(0, 120)} failed: ${(error as Error).message}`);
      return 'not sent';
    }
  }

  /** Subscribe; resolves false when not connected or the connection ends first. */
  async subscribe(filters: Record<string, {qos: 0 | 1 | 2}>): Promise<boolean> {
    const client = this.#client;
    if (!client || !client.connected) return false;
    const list = Object.entries(filters).map(([filter, {qos}]) => [filter, qos] as const);
    try {
      const granted = await client.subscribe(list);
      if (!granted) return false;
      const refused = list.filter((_, i) => granted[i] === 128).map(([filter]) => filter);
      if (refused.length > 0) this.log.warn(`broker refused subscription to ${refused.slice(0, 3).join(', ')}`);
      return true;
    } catch (error) {
      this.log.warn(`subscribe failed: ${(error as Error).message}`);
      return false;
    }
  }

  async unsubscribe(filters: string[]): Promise<boolean> {
    const client = this.#client;
    if (!client || !client.connected) return false;
    try {
      return await client.unsubscribe(filters);
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = null;
    if (this.#statusFix) clearTimeout(this.#statusFix);
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    if (client.connected) await Promise.race([client.publish(this.statusTopic, 'offline', {qos: 1, retain: true}), delay(500)]);
    await client.end(1000);
    this.#setStatus({state: 'closed'});
    this.log.info('disconnected from broker');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}

/** Turn socket, TLS and CONNACK errors into something a person can act on. */
export function describeMqttError(error: Error & {code?: string | number}): string {
  const code = error.code;
  if (code === 'ECONNREFUSED') return 'ECONNREFUSED: nothing listens there; is the broker running?';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${code}: host name not found; check MQTT_HOST`;
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') return `${code}: broker unreachable`;
  if (code === 4 || code === 134) return 'bad user name or password; check MQTT_USERNAME / MQTT_PASSWORD';
  if (code === 5 || code === 135) return 'not authorized by the broker; check MQTT_USERNAME / MQTT_PASSWORD';
  if (typeof code === 'string' && code.startsWith('ERR_TLS') || /certificate|self.signed/i.test(error.message)) {
    return `TLS: ${error.message}; check MQTT_CAFILE`;
  }
  return code ? `${code}: ${error.message}` : error.message;
}
