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

/** A pacer Ink already listens to. */
async function listening(options: PacingOptions = {}) {
  const world = paced(options);
  world.listen();
  await turn();
  return world;
}

describe('the input pacer', () => {
  it('hands out one key, and the next only when the previous one has settled', async () => {
    const {terminal, pacer: p, got, tokens} = await listening({settleTimeoutMs: 10_000});
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
    expect(p.idle).toBe(false);
    p.settled(tokens.at(-1)!);
    await turn();
    expect(p.idle).toBe(true);
  });

  it('hands a prompt a pasted run of printable characters as one piece, up to the next key that is not text', async () => {
    const {terminal, pacer: p, got, tokens} = await listening({settleTimeoutMs: 10_000});
    terminal.type('/fw:relay é😀\rjj\u001B[Bab');
    expect(got).toEqual(['/']);
    /** the last key has settled; `text`: what has the keys now is a prompt */
    const next = async (text: boolean) => {
      p.settled(tokens.at(-1)!, {text});
      await turn();
      return got.at(-1);
    };
    // the prompt opened by "/" takes text; Enter closes it, and keys are commands again, one at a time
    expect(await next(true)).toBe('fw:relay é😀');
    expect(await next(true)).toBe('\r');
    expect(await next(false)).toBe('j');
    // a run needs two printable keys in a row; an escape sequence is never part of one
    expect(await next(true)).toBe('j');
    expect(await next(true)).toBe('\u001B[B');
    expect(await next(true)).toBe('ab');
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
    const {terminal, pacer: p, got} = await listening({settleTimeoutMs: 40});
    const started = Date.now();
    terminal.type('xyz');
    await waitFor(() => got.length === 3, 'all three keys', 1000, 5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    // counted, so tests of the dashboard can tell that it never came to this
    await waitFor(() => p.fallbacks === 3, 'the third fallback', 1000, 5);
    expect(p.idle).toBe(true);
  });

  it('lets Ctrl+C skip the queue at once, dropping what waited', async () => {
    const {terminal, pacer: p, got} = await listening({settleTimeoutMs: 10_000});
    terminal.type('jjjj');
    terminal.type('k\u0003l');
    expect(got).toEqual(['j', '\u0003']);
    expect(p.queued).toBe(0);
  });

  it('bounds the queue and reports what it dropped', async () => {
    const dropped: Array<[number, number]> = [];
    const {terminal, pacer: p, got} = await listening({maxQueued: 3, settleTimeoutMs: 10_000, onDropped: (n, max) => dropped.push([n, max])});
    terminal.type('abcdefg');
    expect(got).toEqual(['a']);
    expect(p.queued).toBe(2);
    expect(dropped).toEqual([[4, 3]]);
  });

  it('waits briefly for the rest of a cut escape sequence, then takes a lone ESC as Esc', async () => {
    const {terminal, pacer: p, got, tokens} = await listening({escapeWaitMs: 30, settleTimeoutMs: 10_000});
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
    const {terminal, pacer: p, got, tokens} = await listening({settleTimeoutMs: 10_000});
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
