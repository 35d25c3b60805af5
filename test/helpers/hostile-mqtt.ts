import crypto from 'node:crypto';
import net from 'node:net';

/**
 * A deliberately careless MQTT 3.1.1 publisher for hostile-input tests: topics and payloads are raw
 * bytes (invalid UTF-8, wildcards, NUL are sent as given), one PUBLISH at a time followed by a
 * PINGREQ, so each message is known to be either handled by the broker (PINGRESP came) or refused
 * (the broker closed the connection; we reconnect and go on).
 */
export class HostileMqtt {
  #socket: net.Socket | null = null;
  #buffer = Buffer.alloc(0);
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
    const id = Buffer.from(this.clientId);
    const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60]), u16(id.length), id]);
    const ok = this.#next();
    socket.write(Buffer.concat([Buffer.from([0x10]), varint(body.length), body]));
    if (!(await ok)) throw new Error('the broker refused the CONNECT');
  }

  #next(): Promise<boolean> {
    return new Promise(resolve => (this.#waiting = resolve));
  }

  #onData(data: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, data]);
    while (this.#buffer.length >= 2) {
      let length = 0;
      let multiplier = 1;
      let i = 1;
      for (; i < 5 && i < this.#buffer.length; i++) {
        length += (this.#buffer[i]! & 0x7f) * multiplier;
        multiplier *= 128;
        if ((this.#buffer[i]! & 0x80) === 0) break;
      }
      if (i >= this.#buffer.length || this.#buffer.length < i + 1 + length) return;
      this.#buffer = this.#buffer.subarray(i + 1 + length);
      const waiting = this.#waiting;
      this.#waiting = null;
      waiting?.(true);
    }
  }

  /** Publish one message at QoS 0; true when the broker handled it, false when it hung up on us. */
  async publish(topic: string | Buffer, payload: string | Buffer, retain = true): Promise<boolean> {
    if (!this.#socket) await this.#connect();
    const socket = this.#socket!;
    const t = typeof topic === 'string' ? Buffer.from(topic) : topic;
    const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const head = Buffer.concat([Buffer.from([retain ? 0x31 : 0x30]), varint(2 + t.length + p.length), u16(t.length), t]);
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

/** A deterministic byte source, so a failing run can be repeated. */
export function randomBytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = crypto.createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, length - offset));
    block = crypto.createHash('sha256').update(block).digest();
  }
  return out;
}
