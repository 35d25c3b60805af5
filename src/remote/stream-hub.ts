import type {IncomingMessage, ServerResponse} from 'node:http';
import type {CoalescingStore} from '../store/create-store.js';
import type {DashboardSnapshot} from '../store/dashboard-store.js';
import {diff} from './stream-codec.js';
import {openOutput, type StreamOutput} from './stream-output.js';
import {STREAM_EVENTS, streamState, type SnapshotEvent, type StreamState} from './stream-state.js';

/** A snapshot store the hub opens for its first client and disposes of after its last. */
export type OpenStore = () => Promise<CoalescingStore<DashboardSnapshot>>;

export interface StreamHubOptions {
  /** the version named in each `snapshot` event */
  readonly version: string;
  /** a comment line this often, so proxies and the client see a live connection (ms) */
  readonly heartbeatMs?: number;
  /** bytes queued on a client's socket beyond which its changes wait and are merged (default 256 KiB) */
  readonly maxBuffered?: number;
}

interface Client {
  readonly out: StreamOutput;
  /** what this client holds: patches are computed from it */
  sent: StreamState | null;
  /** its socket is backed up: send the newest state when it drains */
  behind: boolean;
  /** while behind: looks again now and then, should no drain event come */
  recheck: NodeJS.Timeout | null;
  written: number;
}

/**
 * Serves the dashboard's state as Server-Sent Events: a `snapshot` event, then `patch` events (at
 * most one per store rebuild, so at most ten a second). A client whose socket is backed up gets no
 * further writes until it drains; then one patch from what it holds to the newest state, so the
 * intermediate changes are dropped and memory per client stays bounded. The store exists only while
 * someone is attached.
 */
export class StreamHub {
  readonly #clients = new Set<Client>();
  readonly #options: Required<StreamHubOptions>;
  #store: CoalescingStore<DashboardSnapshot> | null = null;
  #opening: Promise<CoalescingStore<DashboardSnapshot>> | null = null;
  #unsubscribe: (() => void) | null = null;
  #heartbeat: NodeJS.Timeout | null = null;

  constructor(readonly open: OpenStore, options: StreamHubOptions) {
    this.#options = {heartbeatMs: 15_000, maxBuffered: 256 * 1024, ...options};
  }

  /** Clients attached now, with the bytes waiting on each one's socket and written to it so far. */
  get clients(): Array<{buffered: number; written: number; behind: boolean}> {
    return [...this.#clients].map(c => ({buffered: c.out.buffered, written: c.written, behind: c.behind}));
  }

  /** Whether a snapshot store is held (someone is attached). */
  get active(): boolean {
    return this.#store !== null || this.#opening !== null;
  }

  /** Serve one client until it goes away. */
  async attach(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client: Client = {out: openOutput(req, res), sent: null, behind: false, recheck: null, written: 0};
    this.#clients.add(client);
    res.on('close', () => this.#leave(client));
    client.out.onDrain(() => this.#resume(client));
    const store = await this.#ensureStore();
    if (this.#clients.has(client)) this.#push(client, store);
  }

  /** End every stream (the service stops). */
  close(): void {
    for (const client of [...this.#clients]) {
      client.out.end();
      this.#leave(client);
    }
    this.#release();
  }

  async #ensureStore(): Promise<CoalescingStore<DashboardSnapshot>> {
    if (this.#store) return this.#store;
    this.#opening ??= this.open().then(store => {
      this.#store = store;
      this.#opening = null;
      this.#unsubscribe = store.subscribe(() => this.#broadcast());
      this.#heartbeat = setInterval(() => this.#beat(), this.#options.heartbeatMs);
      this.#heartbeat.unref();
      if (this.#clients.size === 0) this.#release();
      return store;
    });
    return this.#opening;
  }

  #leave(client: Client): void {
    if (client.recheck) clearInterval(client.recheck);
    if (!this.#clients.delete(client)) return;
    if (this.#clients.size === 0) this.#release();
  }

  /** Nobody is attached: drop the store and everything it holds. */
  #release(): void {
    if (!this.#store) return;
    this.#unsubscribe?.();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#store.dispose();
    this.#store = null;
    this.#unsubscribe = null;
    this.#heartbeat = null;
  }

  #broadcast(): void {
    for (const client of this.#clients) this.#push(client);
  }

  #beat(): void {
    for (const client of this.#clients) if (!client.behind) this.#write(client, ': keepalive\n\n');
  }

  /** A backed-up client's buffers emptied: it gets the newest state. */
  #resume(client: Client): void {
    if (!client.behind || client.out.buffered > this.#options.maxBuffered) return;
    client.behind = false;
    if (client.recheck) clearInterval(client.recheck);
    client.recheck = null;
    this.#push(client);
  }

  /** Send the client what changed since what it holds, unless its socket is backed up. */
  #push(client: Client, store = this.#store): void {
    if (!store || client.out.ended || client.behind) return;
    if (client.out.buffered > this.#options.maxBuffered) {
      client.behind = true;
      client.recheck = setInterval(() => this.#resume(client), 250);
      client.recheck.unref();
      return;
    }
    const state = streamState(store.getSnapshot());
    if (client.sent === null) {
      const event: SnapshotEvent = {version: this.#options.version, state};
      this.#write(client, `event: ${STREAM_EVENTS.snapshot}\ndata: ${JSON.stringify(event)}\n\n`);
    } else {
      const patch = diff(client.sent, state);
      if (patch) this.#write(client, `event: ${STREAM_EVENTS.patch}\ndata: ${JSON.stringify(patch)}\n\n`);
    }
    client.sent = state;
  }

  #write(client: Client, text: string): void {
    client.written += Buffer.byteLength(text);
    client.out.write(text);
  }
}
