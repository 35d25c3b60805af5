/**
 * Just enough MQTT 3.1.1 on the wire for the raw test clients (homie-publisher, hostile-mqtt): they
 * write bytes no library would send, or faster than one would.
 */

/** CONNECT with a clean session and a 60 s keep-alive. */
export function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60]), u16(id.length), id]);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
}

/** The head of a QoS 0 PUBLISH (fixed header and topic); the payload follows it as it is. */
export function publishHead(topic: Buffer, payloadLength: number, retain: boolean): Buffer {
  return Buffer.concat([Buffer.from([retain ? 0x31 : 0x30]), varint(2 + topic.length + payloadLength), u16(topic.length), topic]);
}

/** The complete packets at the start of `buffer`: their types (high nibble) and what is left over. */
export function takePackets(buffer: Buffer): {types: number[]; rest: Buffer} {
  const types: number[] = [];
  let rest = buffer;
  while (rest.length >= 2) {
    let length = 0;
    let multiplier = 1;
    let i = 1;
    for (; i < 5 && i < rest.length; i++) {
      length += (rest[i]! & 0x7f) * multiplier;
      multiplier *= 128;
      if ((rest[i]! & 0x80) === 0) break;
    }
    if (i >= rest.length || rest.length < i + 1 + length) break;
    types.push(rest[0]! & 0xf0);
    rest = rest.subarray(i + 1 + length);
  }
  return {types, rest};
}

function u16(n: number): Buffer {
  return Buffer.from([(n >> 8) & 0xff, n & 0xff]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}
