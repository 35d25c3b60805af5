/**
 * homie-ota's MQTT 3.1.1 codec, shared by the engine's client and the simulator's devices: the packets
 * a Homie device and homie-ota send and receive, nothing more. Incoming packets are decoded in place
 * from the socket's read (a PUBLISH payload is a view into it: keep a copy of what must outlive the
 * handler), so a read holding hundreds of small retained messages costs no copy at all.
 */
import {groupDigits} from '../engine/util/text.js';

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

export interface IncomingPublish {
  readonly type: 'publish';
  readonly topic: string;
  /** a view into the socket's read: valid while the handler runs */
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly dup: boolean;
  readonly id: number;
  /** payload length the PUBLISH announced (the payload is shorter when truncated) */
  readonly total: number;
  readonly truncated: boolean;
}

export type Incoming =
  | {readonly type: 'connack'; readonly sessionPresent: boolean; readonly code: number}
  | IncomingPublish
  | {readonly type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp' | 'unsuback'; readonly id: number}
  | {readonly type: 'suback'; readonly id: number; readonly granted: readonly number[]}
  | {readonly type: 'pingresp'}
  | {readonly type: 'other'; readonly code: number};

/** Bytes that are no MQTT 3.1.1 a reader can follow, or a packet over its limit: the connection must end. */
export class PacketError extends Error {}

/** topic (≤ 65535 bytes) + its length + packet id + 64 payload bytes: enough to judge an oversized PUBLISH */
export const HEAD_ROOM = 2 + 65_535 + 2 + 64;
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;
/** the largest remaining length four bytes can say */
const MAX_REMAINING = 268_435_455;

const TYPE = {connect: 1, connack: 2, publish: 3, puback: 4, pubrec: 5, pubrel: 6, pubcomp: 7, subscribe: 8, suback: 9, unsubscribe: 10, unsuback: 11, pingreq: 12, pingresp: 13, disconnect: 14} as const;
const ACKS = {4: 'puback', 5: 'pubrec', 6: 'pubrel', 7: 'pubcomp', 11: 'unsuback'} as const;

export const PINGREQ = Buffer.from([TYPE.pingreq << 4, 0]);
export const DISCONNECT = Buffer.from([TYPE.disconnect << 4, 0]);

const varintLength = (n: number): number => (n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4);

/** The remaining length at `offset`; returns the offset after it. */
function writeVarint(out: Buffer, offset: number, length: number): number {
  let n = length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out[offset++] = byte;
  } while (n > 0);
  return offset;
}

/** A packet of `remaining` bytes after its fixed header: the buffer and the offset where its body starts. */
function allocate(first: number, remaining: number): [Buffer, number] {
  if (remaining > MAX_REMAINING) throw new RangeError(`an MQTT packet holds at most ${MAX_REMAINING} bytes, not ${remaining}`);
  const out = Buffer.allocUnsafe(1 + varintLength(remaining) + remaining);
  out[0] = first;
  return [out, writeVarint(out, 1, remaining)];
}

function stringLength(text: string | Buffer): number {
  const length = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.length;
  if (length > 65_535) throw new RangeError(`an MQTT string holds at most 65,535 bytes, not ${length}`);
  return length;
}

/** A length-prefixed string at `offset`; returns the offset after it. */
function writeString(out: Buffer, offset: number, text: string | Buffer, length: number): number {
  out.writeUInt16BE(length, offset);
  if (typeof text === 'string') out.write(text, offset + 2, 'utf8');
  else text.copy(out, offset + 2);
  return offset + 2 + length;
}

function utf8(text: string | Buffer): Buffer {
  const length = stringLength(text);
  const out = Buffer.allocUnsafe(2 + length);
  writeString(out, 0, text, length);
  return out;
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
  const [out, at] = allocate(TYPE.connect << 4, payload.reduce((n, p) => n + p.length, header.length));
  Buffer.concat([header, ...payload]).copy(out, at);
  return out;
}

/** The head of a QoS 0 PUBLISH (fixed header and topic), for a payload written after it as it is. */
export function encodePublishHead(topic: string | Buffer, payloadLength: number, retain: boolean): Buffer {
  const topicLength = stringLength(topic);
  const remaining = 2 + topicLength + payloadLength;
  if (remaining > MAX_REMAINING) throw new RangeError(`an MQTT packet holds at most ${MAX_REMAINING} bytes, not ${remaining}`);
  const out = Buffer.allocUnsafe(1 + varintLength(remaining) + 2 + topicLength);
  out[0] = (TYPE.publish << 4) | (retain ? 1 : 0);
  writeString(out, writeVarint(out, 1, remaining), topic, topicLength);
  return out;
}

export function encodePublish(topic: string, payload: string | Buffer, qos: QoS, retain: boolean, id = 0, dup = false): Buffer {
  const topicLength = stringLength(topic);
  const payloadLength = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
  const first = (TYPE.publish << 4) | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0);
  const [out, at] = allocate(first, 2 + topicLength + (qos > 0 ? 2 : 0) + payloadLength);
  let offset = writeString(out, at, topic, topicLength);
  if (qos > 0) offset = out.writeUInt16BE(id, offset);
  if (typeof payload === 'string') out.write(payload, offset, 'utf8');
  else payload.copy(out, offset);
  return out;
}

function ack(type: number, flags: number, id: number): Buffer {
  return Buffer.from([(type << 4) | flags, 2, (id >> 8) & 0xff, id & 0xff]);
}

export const encodePuback = (id: number) => ack(TYPE.puback, 0, id);
export const encodePubrec = (id: number) => ack(TYPE.pubrec, 0, id);
export const encodePubrel = (id: number) => ack(TYPE.pubrel, 2, id);
export const encodePubcomp = (id: number) => ack(TYPE.pubcomp, 0, id);

/** SUBSCRIBE (`withQos`) or UNSUBSCRIBE: a packet id, then each filter (with its QoS byte for SUBSCRIBE). */
function encodeFilters(type: number, id: number, filters: ReadonlyArray<readonly [string, QoS]>, withQos: boolean): Buffer {
  const lengths = filters.map(([filter]) => stringLength(filter));
  const [out, at] = allocate((type << 4) | 2, lengths.reduce((n, length) => n + 2 + length + (withQos ? 1 : 0), 2));
  let offset = out.writeUInt16BE(id, at);
  filters.forEach(([filter, qos], i) => {
    offset = writeString(out, offset, filter, lengths[i]!);
    if (withQos) out[offset++] = qos;
  });
  return out;
}

export const encodeSubscribe = (id: number, filters: ReadonlyArray<readonly [string, QoS]>): Buffer => encodeFilters(TYPE.subscribe, id, filters, true);
export const encodeUnsubscribe = (id: number, filters: readonly string[]): Buffer => encodeFilters(TYPE.unsubscribe, id, filters.map(f => [f, 0] as const), false);

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
  throw new PacketError('malformed remaining length (more than four bytes)');
}

type Utf8Slicing = Buffer & {utf8Slice(start: number, end: number): string};

/**
 * Turns a byte stream into packets, decoding each where it lies in the read that brought it; only a
 * packet split across reads is kept (its parts, joined once it is complete).
 *
 * A PUBLISH larger than `maxPayload` (plus its topic): with `oversized: 'truncate'` it is delivered with
 * its first bytes and `truncated: true`, and the rest is skipped as it streams in (a real device reads
 * the first chunk, fails NOT_ENOUGH_SPACE and drops the rest); with `'refuse'` push() throws a
 * PacketError saying so, and the connection must end. Malformed bytes throw a PacketError too.
 */
export class PacketReader {
  /** the start of a packet split across reads */
  #parts: Buffer[] = [];
  #have = 0;
  /** bytes of that packet to collect (0: its fixed header is not complete yet), its header's and its whole length */
  #want = 0;
  #headerLength = 0;
  #total = 0;
  /** bytes still to skip of a truncated packet */
  #skip = 0;
  /** the remaining length read by #header */
  #remaining = 0;

  constructor(readonly onPacket: (packet: Incoming) => void, readonly maxPayload = DEFAULT_MAX_PAYLOAD, readonly oversized: 'truncate' | 'refuse' = 'truncate') {}

  push(chunk: Buffer): void {
    let offset = this.#skipIn(chunk, 0);
    if (this.#have > 0 && this.#want === 0 && offset < chunk.length) {
      // complete the split fixed header with at most four more bytes
      const head = Buffer.concat([...this.#parts, chunk.subarray(offset, offset + 4)]);
      const headerLength = this.#header(head, 0);
      if (headerLength === 0) {
        this.#parts = [head];
        this.#have = head.length;
        return;
      }
      this.#headerLength = headerLength;
      this.#total = headerLength + this.#remaining;
      this.#want = this.#plan(head[0]!, headerLength);
    }
    if (this.#want > 0 && offset < chunk.length) {
      const need = this.#want - this.#have;
      if (chunk.length - offset < need) {
        this.#parts.push(chunk.subarray(offset));
        this.#have += chunk.length - offset;
        return;
      }
      const packet = Buffer.concat([...this.#parts, chunk.subarray(offset, offset + need)], this.#want);
      const {headerLength, want, total} = {headerLength: this.#headerLength, want: this.#want, total: this.#total};
      this.#parts = [];
      this.#have = this.#want = this.#total = 0;
      this.#deliver(packet, 0, headerLength, want, total);
      offset = this.#skipIn(chunk, offset + need);
    }
    this.#parse(chunk, offset);
  }

  #parse(buf: Buffer, start: number): void {
    let offset = start;
    while (offset < buf.length) {
      const headerLength = this.#header(buf, offset);
      if (headerLength === 0) return this.#keep(buf, offset, 0, 0, 0);
      const total = headerLength + this.#remaining;
      const want = this.#plan(buf[offset]!, headerLength);
      if (buf.length - offset < want) return this.#keep(buf, offset, headerLength, want, total);
      this.#deliver(buf, offset, headerLength, want, total);
      offset = this.#skipIn(buf, offset + want);
    }
  }

  #keep(buf: Buffer, offset: number, headerLength: number, want: number, total: number): void {
    this.#parts = [buf.subarray(offset)];
    this.#have = buf.length - offset;
    this.#headerLength = headerLength;
    this.#want = want;
    this.#total = total;
  }

  /** Decode the packet (or its head: `want` of its `total` bytes) at `at`; what is left of a truncated one is to be skipped. */
  #deliver(packet: Buffer, at: number, headerLength: number, want: number, total: number): void {
    this.#skip = total - want;
    const decoded = decode(packet, at, at + headerLength, at + want, total - headerLength, want < total);
    if (decoded) this.onPacket(decoded);
  }

  /** Skip in `buf` from `offset` what is still to be skipped; returns where reading goes on. */
  #skipIn(buf: Buffer, offset: number): number {
    if (this.#skip === 0) return offset;
    const n = Math.min(this.#skip, buf.length - offset);
    this.#skip -= n;
    return offset + n;
  }

  /** The fixed header's length at `offset` (its remaining length in #remaining), 0 when not complete. */
  #header(buf: Buffer, offset: number): number {
    let remaining = 0;
    let multiplier = 1;
    for (let i = offset + 1; i < offset + 5; i++) {
      if (i >= buf.length) return 0;
      const byte = buf[i]!;
      remaining += (byte & 0x7f) * multiplier;
      if (byte < 0x80) {
        this.#remaining = remaining;
        return i + 1 - offset;
      }
      multiplier *= 128;
    }
    throw new PacketError('malformed remaining length (more than four bytes)');
  }

  /** How many bytes of the packet to collect: all of it, or its head when it is an oversized PUBLISH to truncate. */
  #plan(first: number, headerLength: number): number {
    const total = headerLength + this.#remaining;
    if (this.#remaining <= this.maxPayload + HEAD_ROOM) return total;
    if (first >> 4 !== TYPE.publish || this.oversized === 'refuse') {
      throw new PacketError(`a packet of ${groupDigits(this.#remaining)} bytes, over the limit of ${groupDigits(this.maxPayload + HEAD_ROOM)}`);
    }
    return headerLength + HEAD_ROOM;
  }
}

/** The packet whose fixed header is at `start`, body at [`body`, `end`). */
function decode(buf: Buffer, start: number, body: number, end: number, remaining: number, truncated: boolean): Incoming | null {
  const first = buf[start]!;
  const type = first >> 4;
  if (type === TYPE.publish) {
    const qos = (first >> 1) & 3;
    if (qos === 3) throw new PacketError('PUBLISH with QoS 3');
    if (end - body < 2) throw new PacketError('PUBLISH without a topic');
    const topicEnd = body + 2 + ((buf[body]! << 8) | buf[body + 1]!);
    const payloadStart = qos > 0 ? topicEnd + 2 : topicEnd;
    if (payloadStart > end) throw new PacketError('PUBLISH shorter than its topic');
    const topic = (buf as Utf8Slicing).utf8Slice(body + 2, topicEnd);
    const id = qos > 0 ? (buf[topicEnd]! << 8) | buf[topicEnd + 1]! : 0;
    return {type: 'publish', topic, payload: buf.subarray(payloadStart, end), qos: qos as QoS, retain: (first & 1) === 1, dup: (first & 8) === 8, id, total: remaining - (payloadStart - body), truncated};
  }
  if (type === TYPE.pingresp) return {type: 'pingresp'};
  if (type === TYPE.connack || type in ACKS || type === TYPE.suback) {
    if (end - body < 2) throw new PacketError(`a packet of type ${type} shorter than 2 bytes`);
    const word = (buf[body]! << 8) | buf[body + 1]!;
    if (type === TYPE.connack) return {type: 'connack', sessionPresent: (buf[body]! & 1) === 1, code: buf[body + 1]!};
    if (type === TYPE.suback) return {type: 'suback', id: word, granted: Array.from(buf.subarray(body + 2, end))};
    return {type: ACKS[type as keyof typeof ACKS], id: word};
  }
  return {type: 'other', code: type};
}
