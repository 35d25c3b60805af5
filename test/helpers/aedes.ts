import net from 'node:net';
import {Aedes} from 'aedes';

export interface TestBroker {
  readonly port: number;
  readonly url: string;
  readonly aedes: Aedes;
  close(): Promise<void>;
}

/** An in-process aedes broker on 127.0.0.1 and a free port (or the port given, to restart one). */
export async function startAedes(port = 0): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as net.AddressInfo).port;
  return {
    port: bound,
    url: `mqtt://127.0.0.1:${bound}`,
    aedes,
    close: async () => {
      await new Promise<void>(resolve => aedes.close(() => resolve()));
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
