import {MqttSession, type Endpoint, type Message} from './mqtt/session.js';
import type {QoS, Will} from '../mqtt/packets.js';

/**
 * A device's connection to the broker. Faithful mode gives each device its own TCP connection
 * with its own last will (`DirectLink`); multiplexed mode shares a few connections (`MuxLink`,
 * mux.ts). Devices only see this interface.
 */
export interface LinkHandlers {
  onMessage(message: Message): void;
  /** the connection ended without the device asking (broker down, keepalive timeout) */
  onClose(reason: string): void;
}

export interface DeviceLink {
  readonly connected: boolean;
  /** Connect with this will; resolves null, or why it failed. */
  connect(clientId: string, will: Will, handlers: LinkHandlers): Promise<string | null>;
  publish(topic: string, payload: string | Buffer, qos: QoS, retain: boolean): Promise<boolean>;
  subscribe(filter: string, qos: QoS): Promise<boolean>;
  /** lose the connection without DISCONNECT (reboot, Wi-Fi gone): the will is published */
  drop(): void;
  /** a clean DISCONNECT: no will */
  disconnect(): Promise<void>;
}

export interface Credentials {
  readonly username?: string;
  readonly password?: string;
}

/** AsyncMqttClient's default keepalive, which homie-esp8266 does not change. */
export const DEVICE_KEEPALIVE = 15;

export class DirectLink implements DeviceLink {
  #session: MqttSession | null = null;

  constructor(readonly endpoint: Endpoint, readonly credentials: Credentials = {}) {}

  get connected(): boolean {
    return this.#session?.connected ?? false;
  }

  async connect(clientId: string, will: Will, handlers: LinkHandlers): Promise<string | null> {
    this.#session?.drop();
    const session = new MqttSession(this.endpoint, {clientId, keepalive: DEVICE_KEEPALIVE, clean: true, will, ...this.credentials}, {
      onMessage: message => handlers.onMessage(message),
      onClose: reason => {
        if (this.#session === session) this.#session = null;
        handlers.onClose(reason);
      },
    });
    this.#session = session;
    const error = await session.connect();
    if (error && this.#session === session) this.#session = null;
    return error;
  }

  publish(topic: string, payload: string | Buffer, qos: QoS, retain: boolean): Promise<boolean> {
    return this.#session ? this.#session.publish(topic, payload, qos, retain) : Promise.resolve(false);
  }

  async subscribe(filter: string, qos: QoS): Promise<boolean> {
    const granted = this.#session ? await this.#session.subscribe([[filter, qos]]) : null;
    return granted !== null && granted[0] !== 128;
  }

  drop(): void {
    const session = this.#session;
    this.#session = null;
    session?.drop();
  }

  async disconnect(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    await session?.disconnect();
  }
}
