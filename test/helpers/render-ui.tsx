import React from 'react';
import {render} from 'ink-testing-library';
import stripAnsi from 'strip-ansi';
import {App, type ViewId} from '../../src/ui/app.js';
import {PersistentStateProvider, Providers} from '../../src/ui/context.js';
import type {Engine} from '../../src/engine/engine.js';
import {createDashboardStore, type DashboardStore} from '../../src/store/dashboard-store.js';
import {afterEach, beforeEach} from 'vitest';
import {tempDir} from './tmp.js';
import {waitFor} from './wait-for.js';

export const keys = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  pageUp: '\u001B[5~',
  pageDown: '\u001B[6~',
  home: '\u001B[H',
  end: '\u001B[F',
  enter: '\r',
  escape: '\u001B',
  tab: '\t',
  shiftTab: '\u001B[Z',
  space: ' ',
  backspace: '\u007F',
  ctrlC: '\u0003',
} as const;

export interface RenderedDashboard {
  readonly store: DashboardStore;
  /** the last frame without colours */
  frame(): string;
  /** write keys one at a time, letting React settle after each */
  press(...sequence: string[]): Promise<void>;
  /** wait until the frame contains `text` (or matches) */
  waitForText(text: string | RegExp, timeoutMs?: number): Promise<string>;
  resize(columns: number, rows: number): void;
  readonly exited: Promise<void>;
  unmount(): void;
}

/** Render the whole dashboard for an engine (started or not) at a chosen terminal size. */
export async function renderDashboard(engine: Engine, options: {columns?: number; rows?: number; initialView?: ViewId} = {}): Promise<RenderedDashboard> {
  const store = createDashboardStore(engine, {intervalMs: 20});
  let exitResolve: () => void = () => {};
  const exited = new Promise<void>(resolve => (exitResolve = resolve));
  const instance = render(
    <Providers store={store} engine={engine}>
      <PersistentStateProvider>
        <App initialView={options.initialView} onQuit={() => exitResolve()} />
      </PersistentStateProvider>
    </Providers>,
  );
  const stdout = instance.stdout as unknown as NodeJS.WriteStream & {rows?: number; columns: number};
  const resize = (columns: number, rows: number) => {
    Object.defineProperty(stdout, 'columns', {value: columns, configurable: true});
    Object.defineProperty(stdout, 'rows', {value: rows, configurable: true});
    stdout.emit('resize');
  };
  // after the first commit, so the size hook is listening
  await waitFor(() => instance.lastFrame(), 'first frame');
  await new Promise(resolve => setTimeout(resolve, 10));
  resize(options.columns ?? 100, options.rows ?? 30);
  await new Promise(resolve => setTimeout(resolve, 10));
  const frame = () => stripAnsi(instance.lastFrame() ?? '');
  const settle = () => new Promise(resolve => setTimeout(resolve, 15));
  return {
    store,
    frame,
    async press(...sequence) {
      for (const key of sequence) {
        instance.stdin.write(key);
        await settle();
      }
      await settle();
    },
    waitForText: (text, timeoutMs = 3000) => waitFor(() => {
      const f = frame();
      return (typeof text === 'string' ? f.includes(text) : text.test(f)) ? f : '';
    }, `frame to show ${String(text)}; last frame:\n${frame()}`, timeoutMs),
    resize,
    exited,
    unmount() {
      instance.unmount();
      store.dispose();
    },
  };
}

/**
 * For a test file that renders dashboards: a fresh folder per test (`context.dir`); the dashboard and
 * the engine a test left in `context.ui` and `context.engine` are closed after it.
 */
export function dashboardContext(): {readonly dir: string; engine: Engine | null; ui: RenderedDashboard | null} {
  const context = {dir: '', engine: null as Engine | null, ui: null as RenderedDashboard | null};
  let cleanup = () => {};
  beforeEach(() => ({dir: context.dir, cleanup} = tempDir()));
  afterEach(async () => {
    context.ui?.unmount();
    context.ui = null;
    await context.engine?.stop();
    context.engine = null;
    cleanup();
  });
  return context;
}
