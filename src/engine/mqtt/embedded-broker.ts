import net from 'node:net';
import type {Aedes} from 'aedes';
import type {Log} from '../log.js';
import {sameSecret} from '../util/secret.js';
import {printable} from '../util/text.js';
import {StartupError} from '../util/startup-error.js';

export {StartupError} from '../util/startup-error.js';

export interface EmbeddedBrokerOptions {
  /**
   * When given, every client (devices and homie-ota itself) must log in with this user name and
   * password; others are refused with CONNACK 4 (bad user name or password).
   */
  readonly account?: {readonly username: string; readonly password: string};
  /** how long a client that stops reading may hold up delivery before it is cut off (default 120 s) */
  readonly drainTimeoutMs?: number;
}

/**
 * The embedded MQTT broker (aedes, in memory): Homie devices on the LAN connect to the Pi directly and
 * homie-ota connects to it over loopback. Retained messages live as long as the process.
 */
export class EmbeddedBroker {
  #broker: Aedes | null = null;
  #server: net.Server | null = null;
  #clients = 0;

  constructor(readonly host: string, readonly port: number, readonly log: Log, readonly options: EmbeddedBrokerOptions = {}) {}

  get clients(): number {
    return this.#clients;
  }

  /** The port really bound (differs from `port` when 0 was asked for). */
  get boundPort(): number {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? address.port : this.port;
  }

  async start(): Promise<void> {
    // drainTimeout: while aedes waits for a client that stops reading (a hostile subscriber to #), delivery
    // to everyone stalls. But an ESP reading a firmware push reads at its flashing speed (20–50 KB/s), so a
    // 1 MB image, 1.4 MB in base64, can take a minute to drain: aedes' 60 s would cut real updates. Two
    // minutes covers the 4 MiB upload limit at a fast device's speed; a dead device is cut earlier by its
    // missed keep-alives.
    // aedes loads only when the broker is embedded: with --mqtt it would cost about 12 MB for nothing
    const [{Aedes: AedesBroker}, {default: packets}] = await Promise.all([import('aedes'), import('mqtt-packet')]);
    // no table of 65,536 ready-made two-byte buffers (about 6 MB of heap for the life of the process)
    packets.writeToStream.cacheNumbers = false;
    const broker = await AedesBroker.createBroker({heartbeatInterval: 60_000, drainTimeout: this.options.drainTimeoutMs ?? 120_000});
    this.#broker = broker;
    const credentials = this.options.account;
    if (credentials) {
      broker.authenticate = (client, username, password, done) => {
        if (sameSecret(username ?? '', credentials.username) && sameSecret(password?.toString('utf8') ?? '', credentials.password)) return done(null, true);
        this.log.warn(`refused a client that logged in as "${printable(username ?? '')}" from ${remoteAddress(client)}: wrong user name or password`);
        done(Object.assign(new Error('bad user name or password'), {returnCode: 4 as const}), false);
      };
    }
    broker.on('client', client => {
      this.#clients++;
      this.log.debug(() => `client connected: ${client.id}`);
    });
    broker.on('clientDisconnect', client => {
      this.#clients = Math.max(0, this.#clients - 1);
      this.log.debug(() => `client disconnected: ${client.id}`);
    });
    broker.on('clientError', (client, error) => {
      if (error.message === 'drain timeout') {
        this.log.warn(`cut off client ${printable(client.id ?? '')} (${remoteAddress(client)}): it stopped reading for ${Math.round((this.options.drainTimeoutMs ?? 120_000) / 1000)} s and held up delivery to everyone`);
      } else {
        this.log.debug(() => `client ${client.id}: ${error.message}`);
      }
    });
    const server = net.createServer(broker.handle);
    this.#server = server;
    // a start that fails must not leave aedes' timers behind: they would keep the process from exiting
    await this.#listen(server).catch(async (error: unknown) => {
      await this.stop();
      throw error;
    });
    this.log.info(`embedded broker listening on ${this.host}:${this.boundPort}`);
  }

  #listen(server: net.Server): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') {
          reject(new StartupError(
            `cannot start the embedded MQTT broker: port ${this.port} on ${this.host} is already in use (another broker?). ` +
            `To use that broker, set MQTT_HOST in homie-ota.ini or pass --mqtt mqtt://localhost:${this.port}; ` +
            `to run the embedded one elsewhere, set MQTT_BROKER_PORT or pass --broker-port.`));
        } else if (error.code === 'EACCES') {
          reject(new StartupError(`cannot start the embedded MQTT broker on port ${this.port}: permission denied; use a port above 1023 (--broker-port) or run with the right privileges.`));
        } else {
          reject(new StartupError(`cannot start the embedded MQTT broker: ${error.message}`));
        }
      });
      server.listen(this.port, this.host, () => resolve());
    });
  }

  async stop(): Promise<void> {
    const server = this.#server;
    const broker = this.#broker;
    this.#server = null;
    this.#broker = null;
    if (broker) await new Promise<void>(resolve => broker.close(() => resolve()));
    if (server) {
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        setTimeout(resolve, 1000).unref();
      });
    }
  }
}

function remoteAddress(client: {conn?: unknown}): string {
  const socket = client.conn as {remoteAddress?: string} | undefined;
  return socket?.remoteAddress ?? 'an unknown address';
}
