import fs from 'node:fs';
import mqtt, {UniqueMessageIdProvider, type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient} from 'mqtt';
import type {MqttSettings} from '../../config/schema.js';
import type {Log} from '../log.js';

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

export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

/**
 * A thin adapter over MQTT.js: it connects, reconnects on its own (also after a refused CONNACK),
 * reports its state, and never throws into its callers. Subscriptions are not replayed by MQTT.js;
 * owners re-subscribe in `onConnect`, which runs after every (re)connect.
 */
export class MqttConnection {
  #client: MqttClient | null = null;
  #status: MqttStatus;
  readonly #handlers: MessageHandler[] = [];
  readonly #connectHandlers: Array<() => void> = [];
  readonly #statusListeners: Array<(status: MqttStatus) => void> = [];
  #port: number;

  constructor(readonly settings: MqttSettings, readonly log: Log, readonly now: () => number = Date.now) {
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

  onStatus(listener: (status: MqttStatus) => void): void {
    this.#statusListeners.push(listener);
  }

  #setStatus(patch: Partial<MqttStatus>): void {
    const changedState = patch.state !== undefined && patch.state !== this.#status.state;
    this.#status = {...this.#status, ...patch, ...(changedState ? {since: this.now()} : {})};
    for (const listener of this.#statusListeners) listener(this.#status);
  }

  start(): void {
    const s = this.settings;
    const options: IClientOptions = {
      clientId: s.clientId,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      reconnectOnConnackError: true,
      resubscribe: false,
      protocolVersion: 4,
      username: s.username,
      password: s.password,
      will: {topic: this.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true},
      // never hand out a message id still waiting for its answer (the default counter wraps at 65,535
      // and reuses it: a SUBACK then "answers" a pending publish and the client errors out)
      messageIdProvider: new UniqueMessageIdProvider(),
    };
    if (s.tls) {
      options.rejectUnauthorized = true;
      if (s.caFile) options.ca = fs.readFileSync(s.caFile);
      if (s.certFile) options.cert = fs.readFileSync(s.certFile);
      if (s.keyFile) options.key = fs.readFileSync(s.keyFile);
    }
    this.#setStatus({state: 'connecting'});
    this.log.info(`connecting to ${this.url}${s.username ? ` as ${s.username}` : ''}`);
    const client = mqtt.connect(this.url, options);
    this.#client = client;
    client.on('connect', () => {
      this.#setStatus({state: 'connected', connects: this.#status.connects + 1, lastError: undefined});
      this.log.info(`connected to ${this.url}`);
      client.publish(this.statusTopic, 'online', {qos: 1, retain: true}, () => {});
      for (const handler of this.#connectHandlers) {
        try {
          handler();
        } catch (error) {
          this.log.error(`after connect: ${(error as Error).message}`);
        }
      }
    });
    client.on('reconnect', () => {
      this.#setStatus({state: 'reconnecting'});
    });
    client.on('close', () => {
      if (this.#status.state === 'connected') {
        this.log.warn(`connection to ${this.url} lost; reconnecting`);
        this.#setStatus({state: 'reconnecting'});
      }
    });
    client.on('error', error => {
      const message = describeMqttError(error);
      if (message !== this.#status.lastError) this.log.warn(`broker ${this.url}: ${message}`);
      this.#setStatus({lastError: message});
    });
    client.on('message', (topic, payload, packet) => {
      for (const handler of this.#handlers) {
        try {
          handler(topic, payload, packet);
        } catch (error) {
          this.log.error(`handling ${topic.slice(0, 120)}: ${(error as Error).message}`);
        }
      }
    });
  }

  /** Publish; resolves false (and logs) instead of throwing when the broker is away or refuses. */
  async publish(topic: string, payload: string | Buffer, options: IClientPublishOptions = {qos: 1, retain: false}): Promise<boolean> {
    const client = this.#client;
    if (!client || !client.connected) return false;
    try {
      await client.publishAsync(topic, payload, options);
      return true;
    } catch (error) {
      this.log.warn(`publish to ${topic.slice(0, 120)} failed: ${(error as Error).message}`);
      return false;
    }
  }

  /** Subscribe; resolves false when not connected or refused. */
  async subscribe(filters: Record<string, {qos: 0 | 1 | 2}>): Promise<boolean> {
    const client = this.#client;
    if (!client || !client.connected) return false;
    try {
      const granted = await client.subscribeAsync(filters);
      const refused = granted.filter(g => g.qos === 128);
      if (refused.length > 0) this.log.warn(`broker refused subscription to ${refused.map(g => g.topic).slice(0, 3).join(', ')}`);
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
      await client.unsubscribeAsync(filters);
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = null;
    client.removeAllListeners('close');
    if (client.connected) {
      await Promise.race([client.publishAsync(this.statusTopic, 'offline', {qos: 1, retain: true}).catch(() => {}), delay(500)]);
    }
    await Promise.race([client.endAsync(false).catch(() => {}), delay(1000)]);
    client.end(true);
    this.#setStatus({state: 'closed'});
    this.log.info('disconnected from broker');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}

/** Turn MQTT.js and socket errors into something a person can act on. */
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
