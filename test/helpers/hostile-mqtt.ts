import crypto from 'node:crypto';
import net from 'node:net';
import {connectPacket, publishHead, takePackets} from './mqtt-wire.js';
import {filler} from '../../src/sim/build-image.js';

/**
 * A deliberately careless MQTT 3.1.1 publisher for hostile-input tests: topics and payloads are raw
 * bytes (invalid UTF-8, wildcards, NUL are sent as given), one PUBLISH at a time followed by a
 * PINGREQ, so each message is known to be either handled by the broker (PINGRESP came) or refused
 * (the broker closed the connection; we reconnect and go on).
 */
export class HostileMqtt {
  #socket: net.Socket | null = null;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: ((ok: boolean) => void) | null = null;
  accepted = 0;
  refused = 0;

  constructor(readonly port: number, readonly clientId = `hostile-${process.pid}-${crypto.randomBytes(3).toString('hex')}`) {}

  async #connect(): Promise<void> {
    const socket = net.connect(this.port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', data => this.#onData(data));
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = null;
      this.#waiting?.(false);
      this.#waiting = null;
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    this.#socket = socket;
    const ok = this.#next();
    socket.write(connectPacket(this.clientId));
    if (!(await ok)) throw new Error('the broker refused the CONNECT');
  }

  #next(): Promise<boolean> {
    return new Promise(resolve => (this.#waiting = resolve));
  }

  #onData(data: Buffer): void {
    const {types, rest} = takePackets(Buffer.concat([this.#buffer, data]));
    this.#buffer = rest;
    // one message in flight at a time: any answer (CONNACK, PINGRESP) settles it
    if (types.length === 0) return;
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.(true);
  }

  /** Publish one message at QoS 0; true when the broker handled it, false when it hung up on us. */
  async publish(topic: string | Buffer, payload: string | Buffer, retain = true): Promise<boolean> {
    if (!this.#socket) await this.#connect();
    const socket = this.#socket!;
    const t = typeof topic === 'string' ? Buffer.from(topic) : topic;
    const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const head = publishHead(t, p.length, retain);
    const answered = this.#next();
    socket.write(Buffer.concat([head, p, Buffer.from([0xc0, 0])]));
    const ok = await Promise.race([answered, new Promise<boolean>(resolve => setTimeout(() => resolve(false), 10_000))]);
    if (ok) this.accepted++;
    else {
      this.refused++;
      socket.destroy();
      this.#socket = null;
    }
    return ok;
  }

  close(): void {
    this.#socket?.end(Buffer.from([0xe0, 0]));
    this.#socket = null;
  }
}



/** A deterministic byte source, so a failing run can be repeated. */
export function randomBytes(seed: string, length: number): Buffer {
  return filler(length, seed);
}
