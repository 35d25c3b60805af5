import {pipeline} from 'node:stream';
import zlib from 'node:zlib';
import type {AttachedTo, DashboardSnapshot, DeviceFocus} from '../store/dashboard-store.js';
import {createFedStore, type FedStore} from '../store/fed-store.js';
import type {DashboardSource} from '../store/engine-source.js';
import {loginRefused, open, requestJson, RemoteError, type Target} from './http-client.js';
import {remoteActions} from './remote-actions.js';
import {readEvents, type SseEvent} from './sse-reader.js';
import {apply, type Patch} from './stream-codec.js';
import {STREAM_EVENTS, type SnapshotEvent, type StreamState} from './stream-state.js';

export interface RemoteSourceOptions {
  readonly intervalMs?: number;
  /** first wait before reconnecting; doubles up to maxBackoffMs */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** the link is taken for dead after this long without a byte (the service sends one at least every 15 s) */
  readonly silenceMs?: number;
  /** how often the focused device's detail is asked for */
  readonly focusPollMs?: number;
  /** ask for the stream gzipped (default: unless the service is on this machine) */
  readonly compress?: boolean;
}

const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])$/i;

export interface RemoteSource extends DashboardSource {
  readonly store: FedStore;
  /** stop streaming and polling (the service keeps running) */
  close(): void;
}

/**
 * A dashboard fed by another homie-ota: the store gets the service's state from GET /api/stream (a
 * snapshot, then patches), the actions call its HTTP API. When the link breaks the dashboard keeps
 * the last state, says `reconnecting`, retries with a growing pause, and on success replaces its
 * whole state with the service's new snapshot (no row kept twice or lost). Resolves once the first
 * snapshot is in; rejects (RemoteError) when the service cannot be reached or refuses the login.
 */
export async function connectRemote(target: Target, options: RemoteSourceOptions = {}): Promise<RemoteSource> {
  const link = new StreamLink(target, options);
  await link.connect();
  return link.source();
}

class StreamLink {
  #state: StreamState | null = null;
  #attached: AttachedTo;
  #focus: DeviceFocus | null = null;
  #focusText = '';
  #store: FedStore | null = null;
  #closed = false;
  #abort: (() => void) | null = null;
  #focusTimer: NodeJS.Timeout | null = null;
  readonly #options: Required<RemoteSourceOptions>;

  constructor(readonly target: Target, options: RemoteSourceOptions) {
    this.#options = {intervalMs: 100, backoffMs: 250, maxBackoffMs: 5000, silenceMs: 45_000, focusPollMs: 1000, compress: !LOOPBACK.test(new URL(target.url).hostname), ...options};
    this.#attached = {url: target.url, state: 'live'};
  }

  /** The whole snapshot the views read: the streamed state plus what is this dashboard's own. */
  #compose(previous: DashboardSnapshot | undefined): DashboardSnapshot {
    return {...this.#state!, revision: previous?.revision ?? 0, focus: previous?.focus ?? null, attached: this.#attached};
  }

  /** Open the stream; resolves when its first snapshot is in (and keeps reading it after). */
  connect(): Promise<StreamState> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (!settled) {
          settled = true;
          reject(error);
        } else this.#broken(error.message);
      };
      open(this.target, 'GET', '/api/stream', {Accept: 'text/event-stream', ...(this.#options.compress ? {'Accept-Encoding': 'gzip'} : {})}).then(res => {
        if (res.statusCode === 401) throw loginRefused(this.target);
        if (res.statusCode !== 200 || !/text\/event-stream/.test(String(res.headers['content-type']))) {
          res.resume();
          throw new RemoteError(`${this.target.url} answered ${res.statusCode} to GET /api/stream; is it a homie-ota that serves attached dashboards (this version or newer)?`, 'protocol');
        }
        let silence: NodeJS.Timeout | null = null;
        const alive = () => {
          if (silence) clearTimeout(silence);
          silence = setTimeout(() => res.destroy(new Error(`nothing heard for ${Math.round(this.#options.silenceMs / 1000)} s`)), this.#options.silenceMs);
          silence.unref();
        };
        this.#abort = () => res.destroy();
        alive();
        const onEvent = (event: SseEvent) => {
          const state = this.#receive(event);
          if (state && !settled) {
            settled = true;
            resolve(state);
          }
        };
        const body = res.headers['content-encoding'] === 'gzip' ? pipeline(res, zlib.createGunzip(), () => {}) : res;
        readEvents(body, onEvent, alive).then(
          () => fail(new Error('the service closed the stream')),
          (error: Error) => fail(error),
        ).finally(() => silence && clearTimeout(silence));
      }).catch((error: Error) => fail(error));
    });
  }

  /** Apply one event; returns the state when it was a full snapshot. */
  #receive(event: SseEvent): StreamState | null {
    if (event.event === STREAM_EVENTS.snapshot) {
      this.#state = (JSON.parse(event.data) as SnapshotEvent).state;
      this.#attached = {url: this.target.url, state: 'live'};
      this.#store?.feed(previous => this.#compose(previous));
      return this.#state;
    }
    if (event.event === STREAM_EVENTS.patch && this.#state) {
      this.#state = apply(this.#state, JSON.parse(event.data) as Patch) as StreamState;
      this.#store?.feed(previous => this.#compose(previous));
    }
    return null;
  }

  /** The link broke: say so, then try again with a growing pause until a snapshot comes. */
  #broken(reason: string): void {
    this.#abort = null;
    if (this.#closed) return;
    let wait = this.#options.backoffMs;
    const retry = (why: string) => {
      if (this.#closed) return;
      this.#attached = {url: this.target.url, state: 'reconnecting', error: why};
      this.#store?.feed(previous => this.#compose(previous));
      setTimeout(() => {
        if (this.#closed) return;
        this.connect().catch((error: Error) => {
          wait = Math.min(wait * 2, this.#options.maxBackoffMs);
          retry(error.message);
        });
      }, wait).unref();
    };
    retry(reason);
  }

  /**
   * The dashboard's source, from the newest state: patches that came in the same read as the first
   * snapshot, or while the caller was busy, are already applied to it (starting from the snapshot
   * itself would lose them, and later patches would not repeat them).
   */
  source(): RemoteSource {
    const store = createFedStore(this.#compose(undefined), {
      intervalMs: this.#options.intervalMs,
      focus: key => (this.#focus?.key === key ? this.#focus : null),
    });
    this.#store = store;
    const focusDevice = store.focusDevice.bind(store);
    return {
      store: Object.assign(store, {
        focusDevice: (key: string | null) => {
          focusDevice(key);
          this.#pollFocus(key);
        },
      }),
      actions: remoteActions(this.target),
      close: () => {
        this.#closed = true;
        this.#abort?.();
        this.#pollFocus(null);
        store.dispose();
      },
    };
  }

  /** Ask for the focused device's detail now and every second while it stays focused. */
  #pollFocus(key: string | null): void {
    if (this.#focusTimer) clearTimeout(this.#focusTimer);
    this.#focusTimer = null;
    if (key !== this.#focus?.key) this.#focusText = '';
    if (key === null || this.#closed) return;
    const ask = async () => {
      try {
        const answer = await requestJson(this.target, 'GET', `/api/focus/${encodeURIComponent(key)}`);
        const text = JSON.stringify(answer.body);
        if (answer.status === 200 && this.#store?.focused === key && text !== this.#focusText) {
          this.#focusText = text;
          this.#focus = answer.body as DeviceFocus;
          this.#store.feed(previous => previous);
        }
      } catch {
        // the stream says when the link is down; the next poll tries again
      }
      if (this.#store?.focused === key && !this.#closed) {
        this.#focusTimer = setTimeout(() => void ask(), this.#options.focusPollMs);
        this.#focusTimer.unref();
      }
    };
    void ask();
  }
}
