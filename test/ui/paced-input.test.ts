import {EventEmitter} from 'node:events';
import {afterEach, describe, expect, it} from 'vitest';
import {PacedInput, type PacingOptions} from '../../src/ui/input/paced-input.js';
import {sleep, waitFor} from '../helpers/wait-for.js';

/** A terminal's stdin: data events, raw mode, ref/unref (recorded). */
class FakeTerminal extends EventEmitter {
  readonly isTTY = true;
  readonly calls: string[] = [];
  setRawMode(mode: boolean) {
    this.calls.push(`raw:${mode}`);
  }
  ref() {
    this.calls.push('ref');
  }
  unref() {
    this.calls.push('unref');
  }
  pause() {
    this.calls.push('pause');
  }
  resume() {
    this.calls.push('resume');
  }
  type(data: string | Buffer) {
    this.emit('data', data);
  }
}

let pacer: PacedInput | null = null;
afterEach(() => {
  pacer?.close();
  pacer = null;
});

/** A pacer read the way Ink reads stdin: on 'readable', read() until null. */
function paced(options: PacingOptions = {}) {
  const terminal = new FakeTerminal();
  pacer = new PacedInput(terminal, options);
  const got: string[] = [];
  const tokens: number[] = [];
  const listen = () => pacer!.on('readable', () => {
    let key: string | null;
    while ((key = pacer!.read()) !== null) {
      got.push(key);
      tokens.push(pacer!.token);
    }
  });
  return {terminal, pacer, got, tokens, listen};
}

const turn = () => new Promise(resolve => setImmediate(resolve));

describe('the input pacer', () => {
  it('hands out one key, and the next only when the previous one has settled', async () => {
    const {terminal, pacer: p, got, tokens, listen} = paced({settleTimeoutMs: 10_000});
    listen();
    await turn();
    terminal.type('1/fw\r');
    expect(got).toEqual(['1']);
    expect(p.queued).toBe(4);
    await sleep(30);
    expect(got).toEqual(['1']);
    p.settled(tokens[0]!);
    // one event-loop turn later, so the effects of the last render are drawn first
    expect(got).toEqual(['1']);
    await turn();
    expect(got).toEqual(['1', '/']);
    // an old token (a late word about an earlier key) does not let the next one go
    p.settled(tokens[0]!);
    await turn();
    expect(got).toEqual(['1', '/']);
    for (let i = 2; i < 5; i++) {
      p.settled(tokens.at(-1)!);
      await turn();
    }
    expect(got).toEqual(['1', '/', 'f', 'w', '\r']);
    expect(p.lastKey).toBe('\r');
  });

  it('reads the terminal only while Ink listens, and a key nobody read stays first in line', async () => {
    const {terminal, pacer: p, got, listen} = paced({settleTimeoutMs: 10_000});
    expect(terminal.listenerCount('data')).toBe(0);
    const deaf = () => {};
    p.on('readable', deaf);
    await turn();
    expect(terminal.listenerCount('data')).toBe(1);
    terminal.type('ab');
    expect(p.queued).toBe(2);
    p.off('readable', deaf);
    expect(terminal.listenerCount('data')).toBe(0);
    listen();
    await turn();
    expect(got).toEqual(['a']);
    expect(p.queued).toBe(1);
  });

  it('never stalls: without word from the dashboard the next key goes after the bounded wait', async () => {
    const {terminal, got, listen} = paced({settleTimeoutMs: 40});
    listen();
    await turn();
    const started = Date.now();
    terminal.type('xyz');
    await waitFor(() => got.length === 3, 'all three keys', 1000, 5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('lets Ctrl+C skip the queue at once, dropping what waited', async () => {
    const {terminal, pacer: p, got, listen} = paced({settleTimeoutMs: 10_000});
    listen();
    await turn();
    terminal.type('jjjj');
    terminal.type('k\u0003l');
    expect(got).toEqual(['j', '\u0003']);
    expect(p.queued).toBe(0);
  });

  it('bounds the queue and reports what it dropped', async () => {
    const dropped: Array<[number, number]> = [];
    const {terminal, pacer: p, got, listen} = paced({maxQueued: 3, settleTimeoutMs: 10_000, onDropped: (n, max) => dropped.push([n, max])});
    listen();
    await turn();
    terminal.type('abcdefg');
    expect(got).toEqual(['a']);
    expect(p.queued).toBe(2);
    expect(dropped).toEqual([[4, 3]]);
  });

  it('waits briefly for the rest of a cut escape sequence, then takes a lone ESC as Esc', async () => {
    const {terminal, pacer: p, got, tokens, listen} = paced({escapeWaitMs: 30, settleTimeoutMs: 10_000});
    listen();
    await turn();
    terminal.type('\u001B[');
    terminal.type('B');
    expect(got).toEqual(['\u001B[B']);
    p.settled(tokens.at(-1)!);
    await turn();
    terminal.type('\u001B');
    await sleep(10);
    expect(got).toEqual(['\u001B[B']);
    await waitFor(() => got.length === 2, 'the Esc', 500, 5);
    expect(got[1]).toBe('\u001B');
  });

  it('decodes UTF-8 split across reads', async () => {
    const {terminal, pacer: p, got, tokens, listen} = paced({settleTimeoutMs: 10_000});
    listen();
    await turn();
    const bytes = Buffer.from('é😀', 'utf8');
    terminal.type(bytes.subarray(0, 1));
    terminal.type(bytes.subarray(1, 4));
    terminal.type(bytes.subarray(4));
    expect(got).toEqual(['é']);
    p.settled(tokens.at(-1)!);
    await turn();
    expect(got).toEqual(['é', '😀']);
  });

  it('passes raw mode and ref/unref to the terminal, and lets it go when Ink stops listening', async () => {
    const {terminal, pacer: p, listen} = paced();
    p.setRawMode(true);
    p.ref();
    listen();
    await turn();
    expect(terminal.calls).toEqual(['raw:true', 'ref', 'resume']);
    p.removeAllListeners('readable');
    p.unref();
    p.setRawMode(false);
    expect(terminal.listenerCount('data')).toBe(0);
    expect(terminal.calls.slice(3)).toEqual(['pause', 'unref', 'raw:false']);
    expect(p.isTTY).toBe(true);
  });
});
