/**
 * A small MQTT 3.1.1 codec for the simulator: exactly the packets an ESP device sends and receives.
 * The simulator has its own client because one MQTT.js client per device costs about 39 KB of RSS
 * (measured: 3000 clients, +116 MB) against about 7.5 KB for a bare socket, and because a device must
 * control its packets exactly (QoS, retain, will, dropping TCP without DISCONNECT).
 */
export type QoS = 0 | 1 | 2;

export interface Will {
  readonly topic: string;
  readonly payload: string | Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
}

export interface ConnectOptions {
  readonly clientId: string;
  /** seconds; 0 turns keepalive off */
  readonly keepalive: number;
  readonly clean: boolean;
  readonly will?: Will;
  readonly username?: string;
  readonly password?: string;
}

export type Incoming =
  | {readonly type: 'connack'; readonly sessionPresent: boolean; readonly code: number}
  | {readonly type: 'publish'; readonly topic: string; readonly payload: Buffer; readonly qos: QoS; readonly retain: boolean; readonly dup: boolean; readonly id: number; readonly total: number; readonly truncated: boolean}
  | {readonly type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp' | 'unsuback'; readonly id: number}
  | {readonly type: 'suback'; readonly id: number; readonly granted: readonly number[]}
  | {readonly type: 'pingresp'}
  | {readonly type: 'other'; readonly code: number};

/** topic (≤ 65535 bytes) + its length + packet id + 64 payload bytes: enough to judge an oversized PUBLISH */
const HEAD_ROOM = 2 + 65_535 + 2 + 64;

const TYPE = {connect: 1, connack: 2, publish: 3, puback: 4, pubrec: 5, pubrel: 6, pubcomp: 7, subscribe: 8, suback: 9, unsubscribe: 10, unsuback: 11, pingreq: 12, pingresp: 13, disconnect: 14} as const;

export const PINGREQ = Buffer.from([TYPE.pingreq << 4, 0]);
export const DISCONNECT = Buffer.from([TYPE.disconnect << 4, 0]);

function varint(length: number): Buffer {
  const bytes: number[] = [];
  let n = length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

function utf8(text: string | Buffer): Buffer {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const head = Buffer.alloc(2);
  head.writeUInt16BE(body.length);
  return Buffer.concat([head, body]);
}

function packet(first: number, parts: Buffer[]): Buffer {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([Buffer.from([first]), varint(length), ...parts]);
}

export function encodeConnect(o: ConnectOptions): Buffer {
  let flags = o.clean ? 0x02 : 0;
  const payload = [utf8(o.clientId)];
  if (o.will) {
    flags |= 0x04 | (o.will.qos << 3) | (o.will.retain ? 0x20 : 0);
    payload.push(utf8(o.will.topic), utf8(typeof o.will.payload === 'string' ? Buffer.from(o.will.payload) : o.will.payload));
  }
  if (o.username !== undefined) {
    flags |= 0x80;
    payload.push(utf8(o.username));
    if (o.password !== undefined) {
      flags |= 0x40;
      payload.push(utf8(o.password));
    }
  }
  const header = Buffer.concat([utf8('MQTT'), Buffer.from([4, flags, (o.keepalive >> 8) & 0xff, o.keepalive & 0xff])]);
  return packet(TYPE.connect << 4, [header, ...payload]);
}

/** The head of a QoS 0 PUBLISH (fixed header and topic), for a payload written after it as it is. */
export function encodePublishHead(topic: string | Buffer, payloadLength: number, retain: boolean): Buffer {
  const name = utf8(topic);
  return Buffer.concat([Buffer.from([(TYPE.publish << 4) | (retain ? 1 : 0)]), varint(name.length + payloadLength), name]);
}

export function encodePublish(topic: string, payload: string | Buffer, qos: QoS, retain: boolean, id = 0, dup = false): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const first = (TYPE.publish << 4) | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0);
  const parts: Buffer[] = [utf8(topic)];
  if (qos > 0) {
    const idBytes = Buffer.alloc(2);
    idBytes.writeUInt16BE(id);
    parts.push(idBytes);
  }
  parts.push(body);
  return packet(first, parts);
}

function ack(type: number, flags: number, id: number): Buffer {
  return Buffer.from([(type << 4) | flags, 2, (id >> 8) & 0xff, id & 0xff]);
}

export const encodePuback = (id: number) => ack(TYPE.puback, 0, id);
export const encodePubrec = (id: number) => ack(TYPE.pubrec, 0, id);
export const encodePubrel = (id: number) => ack(TYPE.pubrel, 2, id);
export const encodePubcomp = (id: number) => ack(TYPE.pubcomp, 0, id);

export function encodeSubscribe(id: number, filters: ReadonlyArray<readonly [string, QoS]>): Buffer {
  const idBytes = Buffer.alloc(2);
  idBytes.writeUInt16BE(id);
  const parts: Buffer[] = [idBytes];
  for (const [filter, qos] of filters) parts.push(utf8(filter), Buffer.from([qos]));
  return packet((TYPE.subscribe << 4) | 2, parts);
}

/**
 * Turns a byte stream into packets. PUBLISH payloads larger than `maxPayload` are not kept: the
 * packet is delivered with its first bytes and `truncated: true` (a real device reads the first
 * chunk, fails NOT_ENOUGH_SPACE and drops the rest, so nothing more is needed), and the rest is
 * skipped as it streams in.
 */
export class PacketReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** bytes still to skip of an oversized packet */
  #skip = 0;

  constructor(readonly onPacket: (packet: Incoming) => void, readonly maxPayload = 16 * 1024 * 1024) {}

  push(chunk: Buffer): void {
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, chunk.length);
      this.#skip -= n;
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return;
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      const head = this.#peek(5);
      const header = parseFixedHeader(head);
      if (!header) return;
      const total = header.headerLength + header.remaining;
      if (header.type === TYPE.publish && header.remaining > this.maxPayload + HEAD_ROOM) {
        // oversized: wait for the topic and a few payload bytes, deliver them, skip the rest
        if (this.#buffered < header.headerLength + HEAD_ROOM) return;
        const taken = this.#take(Math.min(this.#buffered, total));
        this.#skip = total - taken.length;
        this.#emit(decode(header.first, taken.subarray(header.headerLength), header.remaining, true));
        continue;
      }
      if (this.#buffered < total) return;
      const bytes = this.#take(total);
      this.#emit(decode(header.first, bytes.subarray(header.headerLength), header.remaining, false));
    }
  }

  #emit(packet: Incoming | null): void {
    if (packet) this.onPacket(packet);
  }

  /** The first `n` bytes (fewer if not there yet), copying only those: chunks may be tiny. */
  #peek(n: number): Buffer {
    if (this.#chunks.length === 0) return Buffer.alloc(0);
    if (this.#chunks[0]!.length >= n || this.#chunks.length === 1) return this.#chunks[0]!;
    const parts: Buffer[] = [];
    let have = 0;
    for (const chunk of this.#chunks) {
      if (have >= n) break;
      parts.push(chunk.subarray(0, n - have));
      have += Math.min(chunk.length, n - have);
    }
    return Buffer.concat(parts, have);
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return out;
  }
}

/** The fixed header at the start of `buf`, or null when it is not complete yet. */
export function parseFixedHeader(buf: Buffer): {first: number; type: number; remaining: number; headerLength: number} | null {
  if (buf.length < 2) return null;
  let multiplier = 1;
  let remaining = 0;
  for (let i = 1; i < 5; i++) {
    if (i >= buf.length) return null;
    const byte = buf[i]!;
    remaining += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) return {first: buf[0]!, type: buf[0]! >> 4, remaining, headerLength: i + 1};
  }
  throw new Error('malformed remaining length');
}

function decode(first: number, body: Buffer, remaining: number, truncated: boolean): Incoming | null {
  const type = first >> 4;
  switch (type) {
    case TYPE.connack:
      return {type: 'connack', sessionPresent: (body[0]! & 1) === 1, code: body[1] ?? 255};
    case TYPE.publish: {
      const qos = ((first >> 1) & 3) as QoS;
      const topicLength = body.readUInt16BE(0);
      const topic = body.toString('utf8', 2, 2 + topicLength);
      let offset = 2 + topicLength;
      let id = 0;
      if (qos > 0) {
        id = body.readUInt16BE(offset);
        offset += 2;
      }
      return {type: 'publish', topic, payload: body.subarray(offset), qos, retain: (first & 1) === 1, dup: (first & 8) === 8, id, total: remaining - offset, truncated};
    }
    case TYPE.puback:
    case TYPE.pubrec:
    case TYPE.pubrel:
    case TYPE.pubcomp:
    case TYPE.unsuback: {
      const name = ({4: 'puback', 5: 'pubrec', 6: 'pubrel', 7: 'pubcomp', 11: 'unsuback'} as const)[type as 4 | 5 | 6 | 7 | 11];
      return {type: name, id: body.readUInt16BE(0)};
    }
    case TYPE.suback:
      return {type: 'suback', id: body.readUInt16BE(0), granted: [...body.subarray(2)]};
    case TYPE.pingresp:
      return {type: 'pingresp'};
    default:
      return {type: 'other', code: type};
  }
}
