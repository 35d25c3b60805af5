/**
 * The raw test clients (homie-publisher, hostile-mqtt) write bytes no library would send, or faster than
 * one would. They use homie-ota's MQTT 3.1.1 codec (src/mqtt/packets.ts), its one codec for raw packets.
 */
import {encodeConnect, encodePublishHead, parseFixedHeader} from '../../src/mqtt/packets.js';

/** CONNECT with a clean session and a 60 s keep-alive. */
export function connectPacket(clientId: string): Buffer {
  return encodeConnect({clientId, clean: true, keepalive: 60});
}

/** The head of a QoS 0 PUBLISH (fixed header and topic); the payload follows it as it is. */
export const publishHead = (topic: Buffer, payloadLength: number, retain: boolean): Buffer => encodePublishHead(topic, payloadLength, retain);

/** One raw packet: its first byte (type and flags) and its body after the fixed header. */
export interface RawPacket {
  readonly first: number;
  readonly body: Buffer;
}

/** The complete packets at the start of `buffer` as they are, and what is left over. */
export function splitPackets(buffer: Buffer): {packets: RawPacket[]; rest: Buffer} {
  const packets: RawPacket[] = [];
  let rest = buffer;
  for (;;) {
    const header = parseFixedHeader(rest);
    if (!header || rest.length < header.headerLength + header.remaining) break;
    packets.push({first: header.first, body: rest.subarray(header.headerLength, header.headerLength + header.remaining)});
    rest = rest.subarray(header.headerLength + header.remaining);
  }
  return {packets, rest};
}

/** The complete packets at the start of `buffer`: their types (high nibble) and what is left over. */
export function takePackets(buffer: Buffer): {types: number[]; rest: Buffer} {
  const {packets, rest} = splitPackets(buffer);
  return {types: packets.map(p => p.first & 0xf0), rest};
}
