import crypto from 'node:crypto';
import net from 'node:net';
import {connectPacket, publishHead, takePackets} from './mqtt-wire.js';

/**
 * A fast retained-fleet publisher for tests and benchmarks: it speaks just enough MQTT 3.1.1 over a
 * raw socket (CONNECT, PUBLISH QoS 0, PINGREQ) to load a broker with hundreds of thousands of retained
 * Homie attributes in seconds, honouring socket backpressure. `flush()` waits for a PINGRESP: a broker
 * handles one client's packets in order, so everything sent before it has been stored.
 * (The full device simulator lives elsewhere; this deliberately does not depend on it.)
 */
export type Generation = 'v1' | 'v2' | 'v3' | 'v4' | 'v5';

export interface DeviceOptions {
  readonly fw?: string;
  readonly version?: string;
  readonly name?: string;
  readonly ip?: string;
  readonly state?: string;
  readonly signal?: number;
  readonly uptime?: number;
}

/** The retained topics one device of a generation publishes, as [topic, payload]. */
export function deviceTopics(generation: Generation, prefix: string, id: string, o: DeviceOptions = {}): Array<[string, string]> {
  // per-device values differ per device, as in a real fleet (memory figures depend on it)
  const digest = crypto.createHash('md5').update(id).digest();
  const fw = o.fw ?? 'fleet-sensor';
  const version = o.version ?? '1.0.0';
  const name = o.name ?? `Sensor ${id}`;
  const ip = o.ip ?? `10.${digest[0]}.${digest[1]}.${digest[2]}`;
  const signal = String(o.signal ?? 72);
  const uptime = String(o.uptime ?? 3600);
  const mac = [...digest.subarray(3, 9)].map(x => x.toString(16).padStart(2, '0').toUpperCase()).join(':');
  const b = `${prefix}/${id}`;
  const checksum = digest.toString('hex');
  switch (generation) {
    case 'v1':
      return [[`${b}/$online`, o.state === 'lost' ? 'false' : 'true'], [`${b}/$nodes`, 'sensor:temperature,relay:switch'], [`${b}/$name`, name],
        [`${b}/$localip`, ip], [`${b}/$fwname`, fw], [`${b}/$fwversion`, version], [`${b}/$signal`, signal], [`${b}/$uptime`, uptime],
        [`${b}/sensor/temperature`, '21.5'], [`${b}/relay/on`, 'false']];
    case 'v2':
      return [[`${b}/$homie`, '2.0.0'], [`${b}/$mac`, mac], [`${b}/$name`, name], [`${b}/$localip`, ip], [`${b}/$stats/interval`, '0'],
        [`${b}/$fw/name`, fw], [`${b}/$fw/version`, version], [`${b}/$fw/checksum`, checksum], [`${b}/$implementation`, 'esp8266'],
        [`${b}/$implementation/config`, '{"name":"x","wifi":{"ssid":"home"}}'], [`${b}/$implementation/version`, '2.0.0'],
        [`${b}/$implementation/ota/enabled`, 'true'], [`${b}/sensor/$type`, 'temperature'], [`${b}/sensor/$properties`, 'degrees,unit'],
        [`${b}/sensor/degrees`, '21.5'], [`${b}/sensor/unit`, 'c'], [`${b}/relay/$type`, 'switch'], [`${b}/relay/$properties`, 'led[1-3]:settable'],
        [`${b}/relay/led_1`, 'on'], [`${b}/relay/led_2`, 'off'], [`${b}/relay/led_3`, 'off'], [`${b}/$stats/signal`, signal],
        [`${b}/$stats/uptime`, uptime], [`${b}/$online`, o.state === 'lost' ? 'false' : 'true']];
    case 'v3':
    case 'v4': {
      const v4 = generation === 'v4';
      const head: Array<[string, string]> = v4
        ? [[`${b}/$homie`, '4.0.0'], [`${b}/$name`, name], [`${b}/$state`, o.state ?? 'ready'], [`${b}/$nodes`, 'sensor,relay'],
          [`${b}/$extensions`, 'org.homie.legacy-firmware:0.1.1:[4.x],org.homie.legacy-stats:0.1.1:[4.x]'], [`${b}/$implementation`, 'esp32']]
        : [[`${b}/$state`, o.state ?? 'ready'], [`${b}/$homie`, '3.0.1'], [`${b}/$name`, name], [`${b}/$nodes`, 'sensor,relay'], [`${b}/$stats`, 'uptime'],
          [`${b}/$implementation`, 'esp8266'], [`${b}/$implementation/config`, '{"name":"x","wifi":{"ssid":"home"},"mqtt":{"host":"broker"}}'],
          [`${b}/$implementation/version`, '3.0.0'], [`${b}/$implementation/ota/enabled`, 'true']];
      return [...head, [`${b}/$mac`, mac], [`${b}/$localip`, ip], [`${b}/$stats/interval`, '65'], [`${b}/$stats/uptime`, uptime],
        [`${b}/$stats/signal`, signal], [`${b}/$fw/name`, fw], [`${b}/$fw/version`, version], [`${b}/$fw/checksum`, checksum],
        [`${b}/sensor/$name`, 'Climate'], [`${b}/sensor/$type`, 'DHT22'], [`${b}/sensor/$properties`, 'temperature,humidity'],
        [`${b}/sensor/temperature`, '21.5'], [`${b}/sensor/temperature/$name`, 'Temperature'], [`${b}/sensor/temperature/$unit`, '°C'],
        [`${b}/sensor/temperature/$datatype`, 'float'], [`${b}/sensor/humidity`, '48'], [`${b}/sensor/humidity/$unit`, '%'],
        [`${b}/sensor/humidity/$datatype`, 'float'], [`${b}/relay/$name`, 'Relay'], [`${b}/relay/$type`, 'switch'],
        [`${b}/relay/$properties`, 'on'], [`${b}/relay/on`, 'false'], [`${b}/relay/on/$settable`, 'true'], [`${b}/relay/on/$datatype`, 'boolean']];
    }
    case 'v5': {
      const b5 = `${prefix}/5/${id}`;
      const description = {homie: '5.0', version: 1, name, nodes: {
        sensor: {name: 'Climate', properties: {temperature: {name: 'Temperature', datatype: 'float', unit: '°C'}, humidity: {datatype: 'float', unit: '%'}}},
        relay: {name: 'Relay', properties: {on: {datatype: 'boolean', settable: true}}},
      }};
      return [[`${b5}/$state`, o.state ?? 'ready'], [`${b5}/$description`, JSON.stringify(description)],
        [`${b5}/sensor/temperature`, '21.5'], [`${b5}/sensor/humidity`, '48'], [`${b5}/relay/on`, 'false']];
    }
  }
}

export function deviceId(index: number): string {
  return `dev-${String(index).padStart(5, '0')}`;
}

export class RawPublisher {
  #socket: net.Socket | null = null;
  #chunks: Buffer[] = [];
  #size = 0;
  #incoming: Buffer = Buffer.alloc(0);
  #waiters: Array<{type: number; resolve: () => void; reject: (error: Error) => void}> = [];
  #closed = false;
  sent = 0;

  static async connect(port: number, clientId = `pub-${process.pid}-${Math.random().toString(16).slice(2, 8)}`): Promise<RawPublisher> {
    const publisher = new RawPublisher();
    await publisher.#open(port, clientId);
    return publisher;
  }

  async #open(port: number, clientId: string): Promise<void> {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    this.#socket = socket;
    socket.on('data', data => this.#onData(data));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#closed = true;
      for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error('connection closed'));
      socket.emit('drain');
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const connack = this.#expect(0x20);
    socket.write(connectPacket(clientId));
    await connack;
  }

  /** Queue one PUBLISH at QoS 0 (retained unless `retain` is false). */
  publish(topic: string, payload: string | Buffer, retain = true): Promise<void> | void {
    const t = Buffer.from(topic);
    const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const head = publishHead(t, p.length, retain);
    this.#chunks.push(head, p);
    this.#size += head.length + p.length;
    this.sent++;
    if (this.#size >= 64 * 1024) return this.#write();
  }

  async #write(): Promise<void> {
    if (this.#chunks.length === 0) return;
    const data = Buffer.concat(this.#chunks);
    this.#chunks = [];
    this.#size = 0;
    if (this.#closed) throw new Error('connection closed');
    if (!this.#socket!.write(data)) await new Promise(resolve => this.#socket!.once('drain', resolve));
  }

  /** Send what is queued and wait until the broker has handled it. */
  async flush(): Promise<void> {
    await this.#write();
    const pong = this.#expect(0xd0);
    this.#socket!.write(Buffer.from([0xc0, 0]));
    await pong;
  }

  async close(): Promise<void> {
    if (!this.#closed) await this.flush().catch(() => {});
    this.#socket?.end(Buffer.from([0xe0, 0]));
    this.#socket?.destroy();
    this.#socket = null;
  }

  #expect(type: number): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => this.#waiters.push({type, resolve, reject}));
  }

  #onData(data: Buffer): void {
    const {types, rest} = takePackets(this.#incoming.length ? Buffer.concat([this.#incoming, data]) : data);
    this.#incoming = rest;
    for (const type of types) {
      const at = this.#waiters.findIndex(w => w.type === type);
      if (at >= 0) this.#waiters.splice(at, 1)[0]!.resolve();
    }
  }
}

/** Publish `count` devices of a generation, retained, and wait until the broker holds them all. */
export async function publishFleet(port: number, options: {prefix?: string; count: number; generation?: Generation; first?: number; device?: (index: number) => DeviceOptions}): Promise<{ids: string[]; messages: number}> {
  const prefix = options.prefix ?? 'homie';
  const publisher = await RawPublisher.connect(port);
  const ids: string[] = [];
  try {
    for (let i = 0; i < options.count; i++) {
      const index = (options.first ?? 0) + i;
      const id = deviceId(index);
      ids.push(id);
      for (const [topic, payload] of deviceTopics(options.generation ?? 'v3', prefix, id, options.device?.(index))) {
        const pending = publisher.publish(topic, payload);
        if (pending) await pending;
      }
    }
    await publisher.flush();
    return {ids, messages: publisher.sent};
  } finally {
    await publisher.close();
  }
}


