/**
 * What the input pacer itself adds per key, without a dashboard around it (its reader stands in for
 * Ink and says "settled" from a setImmediate, where React runs a render's effects):
 * - a key typed when nothing waits: from the terminal's data to Ink's read;
 * - keys typed ahead: from Ink's read of one key to its read of the next, when the dashboard says
 *   "settled" as soon as it can (two event-loop turns: the effects', then the pacer's).
 * The render a key causes comes on top of either; bench/inventory-ui measures keypress → frame whole.
 */
import {EventEmitter} from 'node:events';
import type {BenchResult} from './run.js';
import {percentile} from './lib/stats.js';
import {PacedInput} from '../src/ui/input/paced-input.js';

class Terminal extends EventEmitter {
  readonly isTTY = true;
  type(data: string): void {
    this.emit('data', data);
  }
}

const turn = () => new Promise(resolve => setImmediate(resolve));

export async function run(): Promise<BenchResult> {
  const terminal = new Terminal();
  const pacer = new PacedInput(terminal);
  let readAt = 0;
  let onRead: (() => void) | null = null;
  pacer.on('readable', () => {
    while (pacer.read() !== null) {
      readAt = performance.now();
      const token = pacer.token;
      // the dashboard handles the key; its effects run a turn later and say so
      setImmediate(() => pacer.settled(token));
      onRead?.();
    }
  });
  await turn();

  const idle: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const started = performance.now();
    terminal.type('j');
    idle.push((readAt - started) * 1000);
    await turn();
    await turn();
  }

  const gaps: number[] = [];
  let last = 0;
  // (the queue holds 1,000 keys)
  const count = 1000;
  const done = new Promise<void>(resolve => {
    let n = 0;
    onRead = () => {
      if (last) gaps.push((readAt - last) * 1000);
      last = readAt;
      if (++n === count) resolve();
    };
  });
  const started = performance.now();
  terminal.type('j'.repeat(count / 2));
  terminal.type('k'.repeat(count / 2));
  await done;
  const total = performance.now() - started;
  pacer.close();

  const us = (v: number) => `${v.toFixed(1)} µs`;
  return {
    title: 'Input pacer alone (no dashboard): time it adds per key',
    columns: ['measure', 'p50', 'p95', 'max'],
    rows: [
      ['a key with nothing waiting: terminal data → Ink reads it', us(percentile(idle, 50)), us(percentile(idle, 95)), us(Math.max(...idle))],
      ['keys typed ahead: Ink reads one → reads the next, render aside', us(percentile(gaps, 50)), us(percentile(gaps, 95)), us(Math.max(...gaps))],
    ],
    note: `${count} keys in two writes went through in ${total.toFixed(0)} ms (${((total / count) * 1000).toFixed(1)} µs per key, settling included).`,
  };
}
