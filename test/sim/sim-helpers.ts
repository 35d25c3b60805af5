import crypto from 'node:crypto';
import mqtt, {type MqttClient} from 'mqtt';
import type {Aedes} from 'aedes';
import {waitFor} from '../helpers/wait-for.js';

/** One packet a client sent, as the broker received it (topic, payload, QoS and RETAIN flag as published). */
export interface Seen {
  readonly kind: 'pub' | 'sub';
  readonly client: string;
  readonly topic: string;
  readonly payload: string;
  readonly qos: number;
  readonly retain: boolean;
}

/**
 * Record what every client publishes and subscribes, in the order the packets arrive, through
 * aedes' authorize hooks: they run as each packet is taken off the wire (aedes' 'publish' event
 * comes only at PUBREL for QoS 2, and 'subscribe' after the retained messages went out).
 */
export function recordBroker(aedes: Aedes): Seen[] {
  const seen: Seen[] = [];
  aedes.authorizePublish = (client, packet, callback) => {
    if (client) seen.push({kind: 'pub', client: client.id, topic: packet.topic, payload: Buffer.from(packet.payload as Buffer).toString('utf8'), qos: packet.qos, retain: packet.retain});
    callback(null);
  };
  aedes.authorizeSubscribe = (client, subscription, callback) => {
    if (client) seen.push({kind: 'sub', client: client.id, topic: subscription.topic, payload: '', qos: subscription.qos, retain: false});
    callback(null, subscription);
  };
  return seen;
}

export interface Observed {
  readonly topic: string;
  readonly payload: string;
  readonly qos: number;
  readonly retain: boolean;
}

/**
 * A plain MQTT.js client watching topics. With `v5` it subscribes with retain-as-published, so the
 * RETAIN flag is the publisher's (MQTT 3.1.1 clears it on live deliveries).
 */
export async function observe(url: string, filters: string[], options: {v5?: boolean; qos?: 0 | 1 | 2} = {}): Promise<{client: MqttClient; messages: Observed[]; close: () => Promise<void>}> {
  const client = await mqtt.connectAsync(url, {protocolVersion: options.v5 ? 5 : 4, clientId: `observer-${crypto.randomUUID().slice(0, 8)}`, reconnectPeriod: 0});
  const messages: Observed[] = [];
  client.on('message', (topic, payload, packet) => messages.push({topic, payload: payload.toString('utf8'), qos: packet.qos, retain: packet.retain}));
  await client.subscribeAsync(Object.fromEntries(filters.map(f => [f, options.v5 ? {qos: options.qos ?? 2, rap: true} : {qos: options.qos ?? 2}])));
  return {client, messages, close: () => client.endAsync()};
}

export function md5(data: Buffer): string {
  return crypto.createHash('md5').update(data).digest('hex');
}

export async function until<T>(check: () => T, what: string, timeoutMs = 8000): Promise<NonNullable<T>> {
  return waitFor(check, what, timeoutMs);
}

/** Drop the volatile values (uptime, signal, temperature) so sequences can be compared. */
export function shape(seen: readonly Seen[], client: string): string[] {
  return seen.filter(s => s.client === client).map(s => (s.kind === 'sub' ? `SUB ${s.topic} q${s.qos}` : `${s.topic} q${s.qos} ${s.retain ? 'r' : '-'} ${s.payload}`));
}
