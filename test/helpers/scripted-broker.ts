import net from 'node:net';
import {splitPackets, type RawPacket} from './mqtt-wire.js';

/** What the scripted broker does with a packet: its usual answer, none, or the test's own bytes. */
export type Reply = 'answer' | 'ignore' | Buffer;

export interface ScriptedConnection {
  readonly socket: net.Socket;
  /** every packet the client sent, in order */
  readonly received: RawPacket[];
  /** when the client closed the connection (performance.now()), or null */
  closedAt: number | null;
}

export interface ScriptedBroker {
  readonly port: number;
  readonly url: string;
  readonly connections: ScriptedConnection[];
  close(): Promise<void>;
}

export const TYPE = {connect: 1, publish: 3, pubrec: 5, pubcomp: 7, subscribe: 8, unsubscribe: 10, pingreq: 12, disconnect: 14} as const;

/** The packet id at the start of a SUBSCRIBE, UNSUBSCRIBE or PUBACK-like body. */
export const idOf = (body: Buffer): number => body.readUInt16BE(0);

/**
 * A TCP server speaking just enough MQTT 3.1.1 to script a broker's misbehaviour: it answers CONNECT
 * with CONNACK `connack`, SUBSCRIBE with SUBACK (all granted at QoS 0), UNSUBSCRIBE with UNSUBACK,
 * a QoS 1 PUBLISH with PUBACK and PINGREQ with PINGRESP, unless `reply` says otherwise for a packet.
 */
export async function startScriptedBroker(options: {connack?: number; reply?: (packet: RawPacket, connection: ScriptedConnection) => Reply} = {}): Promise<ScriptedBroker> {
  const connections: ScriptedConnection[] = [];
  const server = net.createServer(socket => {
    const connection: ScriptedConnection = {socket, received: [], closedAt: null};
    connections.push(connection);
    let pending = Buffer.alloc(0);
    socket.on('data', data => {
      const {packets, rest} = splitPackets(Buffer.concat([pending, data]));
      pending = Buffer.from(rest);
      for (const packet of packets) {
        connection.received.push(packet);
        const reply = options.reply?.(packet, connection) ?? 'answer';
        const answer = reply === 'answer' ? usualAnswer(packet, options.connack ?? 0) : reply === 'ignore' ? null : reply;
        if (answer && !socket.destroyed) socket.write(answer);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => (connection.closedAt = performance.now()));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    connections,
    close: async () => {
      for (const {socket} of connections) socket.destroy();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}

function usualAnswer(packet: RawPacket, connack: number): Buffer | null {
  const type = packet.first >> 4;
  if (type === TYPE.connect) return Buffer.from([0x20, 2, 0, connack]);
  if (type === TYPE.subscribe) {
    const filters = countFilters(packet.body);
    return Buffer.concat([Buffer.from([0x90, 2 + filters]), packet.body.subarray(0, 2), Buffer.alloc(filters)]);
  }
  if (type === TYPE.unsubscribe) return Buffer.concat([Buffer.from([0xb0, 2]), packet.body.subarray(0, 2)]);
  if (type === TYPE.publish && ((packet.first >> 1) & 3) === 1) {
    const topicLength = packet.body.readUInt16BE(0);
    return Buffer.concat([Buffer.from([0x40, 2]), packet.body.subarray(2 + topicLength, 4 + topicLength)]);
  }
  if (type === TYPE.pingreq) return Buffer.from([0xd0, 0]);
  return null;
}

function countFilters(body: Buffer): number {
  let count = 0;
  for (let offset = 2; offset < body.length; offset += 2 + body.readUInt16BE(offset) + 1) count++;
  return count;
}
