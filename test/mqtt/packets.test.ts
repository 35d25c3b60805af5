import {describe, expect, it} from 'vitest';
import {PacketError, PacketReader, encodePublish, encodeUnsubscribe, type Incoming} from '../../src/mqtt/packets.js';

/** What a packet decodes to, with the payload as text (a view into a read cannot be compared after it). */
function summary(packet: Incoming): unknown {
  return packet.type === 'publish' ? {...packet, payload: packet.payload.toString('latin1')} : packet;
}

function readAll(chunks: Buffer[], maxPayload?: number): unknown[] {
  const got: unknown[] = [];
  const reader = new PacketReader(p => got.push(summary(p)), maxPayload);
  for (const chunk of chunks) reader.push(chunk);
  return got;
}

// what a broker sends homie-ota, small packets of every kind it reads
const small = Buffer.concat([
  Buffer.from([0x20, 2, 0, 0]), // CONNACK accepted
  encodePublish('homie/a/$state', 'ready', 0, true),
  encodePublish('homie/a/$fw/name', '', 0, true), // a payload of 0 bytes: a cleared retained value
  encodePublish('homie/a/x', 'ünïcödé', 1, false, 513),
  encodePublish('homie/ä/y', Buffer.from([0, 255, 10]), 2, false, 65_535, true),
  Buffer.from([0x90, 4, 0, 9, 1, 0x80]), // SUBACK: granted 1, refused
  Buffer.from([0xb0, 2, 1, 2]), // UNSUBACK 258
  Buffer.from([0x40, 2, 0, 7]), // PUBACK 7
  Buffer.from([0x62, 2, 0, 8]), // PUBREL 8
  Buffer.from([0xd0, 0]), // PINGRESP
]);

describe('the MQTT codec: reading', () => {
  const whole = readAll([small]);

  it('reads several packets of one chunk, each as it was sent', () => {
    expect(whole).toEqual([
      {type: 'connack', sessionPresent: false, code: 0},
      {type: 'publish', topic: 'homie/a/$state', payload: 'ready', qos: 0, retain: true, dup: false, id: 0, total: 5, truncated: false},
      {type: 'publish', topic: 'homie/a/$fw/name', payload: '', qos: 0, retain: true, dup: false, id: 0, total: 0, truncated: false},
      {type: 'publish', topic: 'homie/a/x', payload: Buffer.from('ünïcödé').toString('latin1'), qos: 1, retain: false, dup: false, id: 513, total: 11, truncated: false},
      {type: 'publish', topic: 'homie/ä/y', payload: '\u0000ÿ\n', qos: 2, retain: false, dup: true, id: 65_535, total: 3, truncated: false},
      {type: 'suback', id: 9, granted: [1, 0x80]},
      {type: 'unsuback', id: 258},
      {type: 'puback', id: 7},
      {type: 'pubrel', id: 8},
      {type: 'pingresp'},
    ]);
  });

  it('reads the same when the stream is split at any byte, or at any two', () => {
    for (let i = 1; i < small.length; i++) {
      expect(readAll([small.subarray(0, i), small.subarray(i)]), `split at ${i}`).toEqual(whole);
      for (let j = i + 1; j < small.length; j += 3) {
        expect(readAll([small.subarray(0, i), small.subarray(i, j), small.subarray(j)]), `split at ${i} and ${j}`).toEqual(whole);
      }
    }
    expect(readAll([...small].map(byte => Buffer.from([byte])))).toEqual(whole);
  });

  it('hands the payload as a view into the read, no copy', () => {
    const chunk = Buffer.concat([encodePublish('t/a', 'first', 0, false), encodePublish('t/b', 'second', 0, false)]);
    const payloads: Buffer[] = [];
    new PacketReader(p => p.type === 'publish' && payloads.push(p.payload)).push(chunk);
    expect(payloads.map(p => p.toString())).toEqual(['first', 'second']);
    for (const payload of payloads) expect(payload.buffer).toBe(chunk.buffer);
  });

  it('reads a remaining length of 4 bytes, split anywhere near its header, its topic or its end', () => {
    const payload = Buffer.alloc(2_100_000, 0x61);
    payload.write('end', payload.length - 3);
    const big = encodePublish('homie/a/big', payload, 1, false, 3);
    expect([...big.subarray(1, 4)].every(byte => byte >= 0x80)).toBe(true);
    expect(big[4]).toBeLessThan(0x80); // the fourth length byte ends the remaining length
    const stream = Buffer.concat([big, Buffer.from([0xd0, 0])]);
    const expected = [{type: 'publish', topic: 'homie/a/big', payload: payload.toString('latin1'), qos: 1, retain: false, dup: false, id: 3, total: payload.length, truncated: false}, {type: 'pingresp'}];
    const cuts = [1, 2, 3, 4, 5, 6, 7, 10, 18, 19, 65_536, big.length - 1, big.length, big.length + 1];
    for (const cut of cuts) expect(readAll([stream.subarray(0, cut), stream.subarray(cut)]), `split at ${cut}`).toEqual(expected);
    const reads: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 65_536) reads.push(stream.subarray(i, i + 65_536));
    expect(readAll(reads)).toEqual(expected);
  });

  it("refuses a packet over the limit when asked to, saying how large it was, instead of collecting it", () => {
    const got: Incoming[] = [];
    const reader = new PacketReader(p => got.push(p), 1000, 'refuse');
    reader.push(encodePublish('t/ok', Buffer.alloc(1000), 0, false));
    expect(got).toHaveLength(1);
    const head = encodePublish('t/big', Buffer.alloc(70_000), 0, false).subarray(0, 20);
    expect(() => reader.push(head)).toThrow(PacketError);
    expect(() => new PacketReader(() => {}, 1000, 'refuse').push(head)).toThrow(/a packet of 70,007 bytes, over the limit of 66,603/);
  });

  it('throws a PacketError on bytes that are no MQTT', () => {
    const read = (bytes: number[]) => () => new PacketReader(() => {}).push(Buffer.from(bytes));
    expect(read([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])).toThrow(/malformed remaining length/);
    expect(read([0x30, 4, 0, 9, 0x61, 0x62])).toThrow(/shorter than its topic/);
    expect(read([0x36, 4, 0, 1, 0x61, 0x62])).toThrow(/QoS 3/);
    expect(read([0x40, 1, 0])).toThrow(PacketError);
  });
});

describe('the MQTT codec: writing', () => {
  it('UNSUBSCRIBE carries its id and each filter, with the reserved flags 0010', () => {
    expect(encodeUnsubscribe(258, ['a/+', 'bé'])).toEqual(Buffer.from([0xa2, 12, 1, 2, 0, 3, 0x61, 0x2f, 0x2b, 0, 3, 0x62, 0xc3, 0xa9]));
  });

  it('refuses a topic over 65,535 bytes instead of writing a wrong length', () => {
    expect(() => encodePublish('t'.repeat(65_536), 'x', 0, false)).toThrow(/65,535 bytes/);
  });
});
