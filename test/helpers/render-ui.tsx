import type React from 'react';
import {EventEmitter} from 'node:events';
import {render as inkRender} from 'ink';
import {render as renderStill} from 'ink-testing-library';
import stripAnsi from 'strip-ansi';
import {App, type ViewId} from '../../src/ui/app.js';
import {PersistentStateProvider, Providers} from '../../src/ui/context.js';
import type {Engine} from '../../src/engine/engine.js';
import type {DashboardStore} from '../../src/store/dashboard-store.js';
import type {DashboardActions} from '../../src/store/actions.js';
import {createEngineSource} from '../../src/store/engine-source.js';
import {afterEach, beforeEach} from 'vitest';
import {tempDir} from './tmp.js';
import {waitFor} from './wait-for.js';
import {flushRest, tokenize} from '../../src/ui/input/key-tokens.js';
import {pacedStdin} from '../../src/ui/run-ui.js';
import {cellWidth} from '../../src/ui/cells.js';

/** Keys as the terminal sends them, one by one. */
export function splitKeys(data: string): string[] {
  const {keys, rest} = tokenize(data);
  return [...keys, ...flushRest(rest)];
}

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
  ctrlU: '\u0015',
} as const;

export interface RenderedDashboard {
  readonly store: DashboardStore;
  /** the last frame without colours */
  frame(): string;
  /** how many frames Ink has drawn so far (every render it lays out and writes) */
  frames(): number;
  /** type keys one at a time ("jj" is two), each once the dashboard has handled the one before */
  press(...sequence: string[]): Promise<void>;
  /** write data as one read, as a paste or keys typed ahead arrive */
  write(data: string): void;
  /** every key written has been handled and its render's effects have run */
  idle(): boolean;
  /** keys released without word from the dashboard (after the pacer's bounded wait) */
  fallbacks(): number;
  /** wait until the frame contains `text` (or matches) */
  waitForText(text: string | RegExp, timeoutMs?: number): Promise<string>;
  resize(columns: number, rows: number): void;
  readonly exited: Promise<void>;
  unmount(): void;
}

/** A terminal's stdin for a paced dashboard: what is written arrives as one read. */
class FakeTerminalInput extends EventEmitter {
  readonly isTTY = true;
  setRawMode() {}
  ref() {}
  unref() {}
  write(data: string) {
    this.emit('data', data);
  }
}

/**
 * What ink-testing-library's render gives (debug frames into a fake stdout), but with stdin read
 * through the app's input pacer, as the app reads the terminal: the views' key handlers rely on it
 * (each key comes after the render the previous one caused), and tests can wait until every key
 * written has been handled instead of sleeping.
 */
function renderPaced(tree: React.ReactElement, actions: DashboardActions) {
  const stdout = Object.assign(new EventEmitter(), {
    columns: 100,
    frames: [] as string[],
    write(frame: string) {
      this.frames.push(frame);
      return true;
    },
  });
  const terminal = new FakeTerminalInput();
  const pacer = pacedStdin(actions, terminal);
  const instance = inkRender(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: pacer as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {stdout, stdin: terminal, pacer, lastFrame: () => stdout.frames.at(-1), unmount: () => instance.unmount()};
}

/** Until the frame is drawn at the chosen size: the rule after the tabs fills their line, the frame is one line short of the terminal. */
async function drawnAt(frame: () => string, columns: number, rows: number): Promise<void> {
  const at = (lines: string[]) => lines.length === rows - 1 && cellWidth(lines.find(line => /\b1 Devices\b/.test(line)) ?? '') === columns;
  await waitFor(() => at(frame().split('\n')), `a frame of ${columns}×${rows}`, 3000, 5).catch(() => {});
}

export interface RenderOptions {
  readonly columns?: number;
  readonly rows?: number;
  readonly initialView?: ViewId;
}

/** Render the whole dashboard for an engine (started or not) at a chosen terminal size. */
export function renderDashboard(engine: Engine, options: RenderOptions = {}): Promise<RenderedDashboard> {
  return renderSource(createEngineSource(engine, {intervalMs: 20}), options);
}

/**
 * Render the whole dashboard on a store and actions of any kind (a store fed by hand, no engine), at
 * a chosen terminal size. Unmounting disposes the store.
 */
export async function renderSource({store, actions}: {readonly store: DashboardStore; readonly actions: DashboardActions}, options: RenderOptions = {}): Promise<RenderedDashboard> {
  let exitResolve: () => void = () => {};
  const exited = new Promise<void>(resolve => (exitResolve = resolve));
  const tree = (
    <Providers store={store} actions={actions}>
      <PersistentStateProvider>
        <App initialView={options.initialView} onQuit={() => exitResolve()} />
      </PersistentStateProvider>
    </Providers>
  );
  const instance = renderPaced(tree, actions);
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
  const frame = () => stripAnsi(instance.lastFrame() ?? '');
  await drawnAt(frame, options.columns ?? 100, options.rows ?? 30);
  const handled = () => waitFor(() => instance.pacer.idle, 'the dashboard to handle the keys', 10_000, 2);
  return {
    store,
    frame,
    frames: () => instance.stdout.frames.length,
    async press(...sequence) {
      for (const key of sequence.flatMap(splitKeys)) {
        instance.stdin.write(key);
        await handled();
      }
    },
    write: data => instance.stdin.write(data),
    idle: () => instance.pacer.idle,
    fallbacks: () => instance.pacer.fallbacks,
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

/**
 * One still frame of the dashboard on a store and actions (no keys), rendered by ink-testing-library
 * at a chosen size; resolves with the frame once it contains `until`.
 */
export async function stillFrame(source: {readonly store: DashboardStore; readonly actions: DashboardActions}, until: string | RegExp, options: RenderOptions = {}): Promise<string> {
  const still = renderStill(
    <Providers store={source.store} actions={source.actions}>
      <PersistentStateProvider>
        <App initialView={options.initialView} />
      </PersistentStateProvider>
    </Providers>,
  );
  try {
    await waitFor(() => still.lastFrame(), 'first frame');
    Object.defineProperty(still.stdout, 'columns', {value: options.columns ?? 100, configurable: true});
    Object.defineProperty(still.stdout, 'rows', {value: options.rows ?? 30, configurable: true});
    still.stdout.emit('resize');
    const frame = () => stripAnsi(still.lastFrame() ?? '');
    await drawnAt(frame, options.columns ?? 100, options.rows ?? 30);
    return await waitFor(() => {
      const f = frame();
      return (typeof until === 'string' ? f.includes(until) : until.test(f)) ? f : '';
    }, `a frame showing ${String(until)}; last frame:\n${frame()}`, 3000);
  } finally {
    still.unmount();
  }
}
