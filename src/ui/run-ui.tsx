import {render, type Instance} from 'ink';
import type {DashboardStore} from '../store/dashboard-store.js';
import type {DashboardActions} from '../store/actions.js';
import {App, type ViewId} from './app.js';
import {PersistentStateProvider, Providers} from './context.js';
import {PacedInput, type InputSource} from './input/paced-input.js';

const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[H';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';
const SHOW_CURSOR = '\u001B[?25h';

/**
 * Ink redraws at most this often. The store already coalesces engine events to 10 Hz, so this only
 * bounds how long a keypress waits for its frame (1000/60 ≈ 17 ms), not how much is drawn.
 */
export const MAX_FPS = 60;

/**
 * The terminal as the dashboard reads it: keys reach Ink one at a time, each after the render the
 * previous one caused (typed ahead, pasted); keys dropped from an overlong queue are reported.
 */
export function pacedStdin(actions: Pick<DashboardActions, 'notice'>, source: InputSource): PacedInput {
  return new PacedInput(source, {
    onDropped: (count, max) => void actions.notice('ui', 'warn', `${count} typed-ahead key${count === 1 ? ' was' : 's were'} dropped: at most ${max} keys wait their turn; type or paste less at once`),
  });
}

export interface UiHandle {
  readonly instance: Instance;
  /** resolves when the user quits (q, Ctrl+C) */
  readonly exited: Promise<void>;
  /** unmount and give the terminal back (idempotent) */
  close(): void;
}

/** Where console output goes while the dashboard owns the terminal. */
export interface ConsoleSink {
  debug(text: string): void;
  info(text: string): void;
  warn(text: string): void;
  error(text: string): void;
}

export interface UiOptions {
  readonly store: DashboardStore;
  readonly actions: DashboardActions;
  /** homie-ota's log, for console output */
  readonly console: ConsoleSink;
  readonly initialView?: ViewId;
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
}

/**
 * Draw the dashboard on the alternate screen, so the user's shell and scrollback come back untouched
 * on exit. Console output is routed into homie-ota's log: nothing but Ink writes to this terminal.
 */
export function runUi(options: UiOptions): UiHandle {
  const {store, actions} = options;
  const stdout = options.stdout ?? process.stdout;
  const consoleLog = options.console;
  const original = {log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug};
  const format = (args: unknown[]) => args.map(a => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(' ');
  console.log = (...args: unknown[]) => consoleLog.info(format(args));
  console.info = console.log;
  console.debug = (...args: unknown[]) => consoleLog.debug(format(args));
  console.warn = (...args: unknown[]) => consoleLog.warn(format(args));
  console.error = (...args: unknown[]) => consoleLog.error(format(args));

  const stdin = pacedStdin(actions, options.stdin ?? process.stdin);
  stdout.write(ENTER_ALT_SCREEN);
  const instance = render(
    <Providers store={store} actions={actions}>
      <PersistentStateProvider>
        <App initialView={options.initialView} />
      </PersistentStateProvider>
    </Providers>,
    {stdout, stdin: stdin as unknown as NodeJS.ReadStream, exitOnCtrlC: false, patchConsole: false, maxFps: MAX_FPS},
  );
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      instance.unmount();
    } catch {
      // already unmounted
    }
    stdin.close();
    stdout.write(LEAVE_ALT_SCREEN + SHOW_CURSOR);
    Object.assign(console, original);
  };
  const exited = instance.waitUntilExit().then(() => close(), () => close());
  return {instance, exited, close};
}
