import {EventEmitter} from 'node:events';
import {StringDecoder} from 'node:string_decoder';
import {flushRest, tokenize} from './key-tokens.js';

/** What the pacer needs of the terminal's stdin (process.stdin, or a test's fake). */
export interface InputSource {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  ref?(): unknown;
  unref?(): unknown;
  pause?(): unknown;
  resume?(): unknown;
  on(event: 'data', listener: (chunk: string | Buffer) => void): unknown;
  removeListener(event: 'data', listener: (chunk: string | Buffer) => void): unknown;
}

export interface PacingOptions {
  /** how long a cut escape sequence (a lone ESC) waits for the rest before it counts as Esc */
  readonly escapeWaitMs?: number;
  /** release the next key after this long even if the dashboard never said it settled */
  readonly settleTimeoutMs?: number;
  /** keys that may wait; more typed ahead are dropped (and reported) */
  readonly maxQueued?: number;
  /** keys were dropped because too many waited */
  readonly onDropped?: (count: number, maxQueued: number) => void;
}

const ESCAPE_WAIT_MS = 50;
const SETTLE_TIMEOUT_MS = 500;
const MAX_QUEUED_KEYS = 1000;
const CTRL_C = '\u0003';
/** the most characters of a paste handed to a prompt as one piece */
const MAX_TEXT_RUN = 256;

/** a printable character: no control character, no escape sequence */
const isText = (key: string) => !/[\u0000-\u001f\u007f-\u009f]/.test(key);

/**
 * Stands between the terminal and Ink and hands Ink one key at a time: the next key only once the
 * dashboard has drawn what the previous one did and its effects have run (the keyboard provider calls
 * `settled`). Keys typed ahead over a slow link or pasted therefore reach exactly the view, dialog or
 * prompt they would have reached typed slowly, in order; none is lost (but for more than 1,000 waiting
 * at once: those are dropped, and reported). Ctrl+C skips the queue.
 *
 * It has the surface Ink uses of stdin: isTTY, setRawMode, setEncoding, ref/unref, read() and the
 * 'readable' event; raw mode and ref/unref go through to the real stdin.
 */
export class PacedInput extends EventEmitter {
  readonly isTTY: boolean;
  readonly #source: InputSource;
  readonly #escapeWaitMs: number;
  readonly #settleTimeoutMs: number;
  readonly #maxQueued: number;
  readonly #onDropped: PacingOptions['onDropped'];
  readonly #decoder = new StringDecoder('utf8');
  #queue: string[] = [];
  #rest = '';
  #restTimer: NodeJS.Timeout | undefined;
  #ready: string | null = null;
  #busy = false;
  #token = 0;
  #settledToken = 0;
  #fallback: NodeJS.Timeout | undefined;
  #listening = false;
  #text = false;
  #fallbacks = 0;

  constructor(source: InputSource, options: PacingOptions = {}) {
    super();
    this.#source = source;
    this.isTTY = source.isTTY === true;
    this.#escapeWaitMs = options.escapeWaitMs ?? ESCAPE_WAIT_MS;
    this.#settleTimeoutMs = options.settleTimeoutMs ?? SETTLE_TIMEOUT_MS;
    this.#maxQueued = options.maxQueued ?? MAX_QUEUED_KEYS;
    this.#onDropped = options.onDropped;
    // Ink adds its 'readable' listener when raw mode goes on and removes it when it goes off
    this.on('newListener', event => {
      if (event === 'readable') queueMicrotask(() => this.#updateListening());
    });
    this.on('removeListener', event => {
      if (event === 'readable') this.#updateListening();
    });
  }

  /** the number of the key handed out last: the keyboard provider passes it back to `settled` */
  get token(): number {
    return this.#token;
  }

  /** keys waiting their turn */
  get queued(): number {
    return this.#queue.length;
  }

  /** keys the dashboard never said it had handled, released after the bounded wait (should stay 0) */
  get fallbacks(): number {
    return this.#fallbacks;
  }

  /** nothing waiting, nothing in hand: every key typed so far has been handled and drawn */
  get idle(): boolean {
    return !this.#busy && this.#queue.length === 0 && this.#rest === '';
  }

  setRawMode(mode: boolean): this {
    this.#source.setRawMode?.(mode);
    return this;
  }

  setEncoding(): this {
    // keys are always handed out as strings
    return this;
  }

  ref(): this {
    this.#source.ref?.();
    return this;
  }

  unref(): this {
    this.#source.unref?.();
    return this;
  }

  read(): string | null {
    const key = this.#ready;
    this.#ready = null;
    return key;
  }

  /**
   * The dashboard has handled the key numbered `token` and run the effects of the render it caused:
   * the next key goes one event-loop turn later, so state set by those effects is drawn first.
   * `text`: what has the keys now takes printable characters as text (a prompt), so a run of them
   * (a paste) may go as one piece: typed one by one they would do the same, one redraw each.
   */
  settled(token: number, options: {text?: boolean} = {}): void {
    if (token !== this.#token || this.#settledToken === token) return;
    this.#settledToken = token;
    this.#text = options.text === true;
    clearTimeout(this.#fallback);
    setImmediate(() => this.#next(token));
  }

  /** stop: timers cleared, the real stdin let go */
  close(): void {
    clearTimeout(this.#fallback);
    clearTimeout(this.#restTimer);
    this.#queue = [];
    this.removeAllListeners('readable');
    this.#updateListening();
  }

  #updateListening(): void {
    const listening = this.listenerCount('readable') > 0;
    if (listening === this.#listening) return;
    this.#listening = listening;
    if (listening) {
      this.#source.on('data', this.#onData);
      this.#source.resume?.();
      setImmediate(() => this.#pump());
    } else {
      this.#source.removeListener('data', this.#onData);
      this.#source.pause?.();
    }
  }

  readonly #onData = (chunk: string | Buffer): void => {
    clearTimeout(this.#restTimer);
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    const {keys, rest} = tokenize(this.#rest + text);
    this.#rest = rest;
    this.#enqueue(keys);
    if (rest) {
      this.#restTimer = setTimeout(() => {
        const cut = this.#rest;
        this.#rest = '';
        this.#enqueue(flushRest(cut));
      }, this.#escapeWaitMs);
      this.#restTimer.unref();
    }
  };

  #enqueue(keys: readonly string[]): void {
    if (keys.includes(CTRL_C)) {
      // quitting: nothing typed before or after matters any more
      this.#queue = [];
      this.#release(CTRL_C);
      return;
    }
    const room = Math.max(0, this.#maxQueued - this.#queue.length);
    this.#queue.push(...keys.slice(0, room));
    if (keys.length > room) this.#onDropped?.(keys.length - room, this.#maxQueued);
    this.#pump();
  }

  #pump(): void {
    if (!this.#listening || this.#busy || this.#queue.length === 0) return;
    let take = 1;
    if (this.#text) while (take < MAX_TEXT_RUN && take < this.#queue.length && isText(this.#queue[take - 1]!) && isText(this.#queue[take]!)) take++;
    this.#release(this.#queue.splice(0, take).join(''));
  }

  #release(key: string): void {
    this.#busy = true;
    const token = ++this.#token;
    clearTimeout(this.#fallback);
    // never stall: without word from the dashboard, the next key goes after a bounded wait (through
    // setImmediate, so effects React has already queued still run first)
    this.#fallback = setTimeout(() => setImmediate(() => {
      if (this.#settledToken !== token && this.#token === token) {
        this.#fallbacks++;
        this.#next(token);
      }
    }), this.#settleTimeoutMs);
    this.#fallback.unref();
    this.#ready = key;
    this.emit('readable');
    if (this.#ready !== null) {
      // nobody read it (Ink not listening): it stays first in line
      this.#ready = null;
      this.#queue.unshift(...tokenize(key).keys);
      this.#busy = false;
      clearTimeout(this.#fallback);
    }
  }

  #next(token: number): void {
    if (token !== this.#token) return;
    this.#busy = false;
    this.#pump();
  }
}
