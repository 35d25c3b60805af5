import net from 'node:net';
import {Aedes} from 'aedes';
import type {Log} from '../log.js';

export class StartupError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

export interface BrokerStats {
  readonly clients: number;
}

/**
 * The embedded MQTT broker (aedes, in memory): Homie devices on the LAN connect to the Pi directly and
 * homie-ota connects to it over loopback. Retained messages live as long as the process.
 */
export class EmbeddedBroker {
  #broker: Aedes | null = null;
  #server: net.Server | null = null;
  #clients = 0;

  constructor(readonly host: string, readonly port: number, readonly log: Log) {}

  get clients(): number {
    return this.#clients;
  }

  /** The port really bound (differs from `port` when 0 was asked for). */
  get boundPort(): number {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? address.port : this.port;
  }

  async start(): Promise<void> {
    const broker = await Aedes.createBroker({heartbeatInterval: 60_000});
    this.#broker = broker;
    broker.on('client', client => {
      this.#clients++;
      this.log.debug(() => `client connected: ${client.id}`);
    });
    broker.on('clientDisconnect', client => {
      this.#clients = Math.max(0, this.#clients - 1);
      this.log.debug(() => `client disconnected: ${client.id}`);
    });
    broker.on('clientError', (client, error) => {
      this.log.debug(() => `client ${client.id}: ${error.message}`);
    });
    const server = net.createServer(broker.handle);
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
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
    this.log.info(`embedded broker listening on ${this.host}:${this.boundPort}`);
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
