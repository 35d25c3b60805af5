import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import * as pty from '@lydell/node-pty';
import xterm from '@xterm/headless';
import {waitFor} from './wait-for.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/main.js');

/** Make sure dist/ is built (npm test builds first; a lone `vitest run` may not have). */
export function ensureBuilt(): void {
  if (!fs.existsSync(CLI)) execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], {stdio: 'inherit'});
}

export interface PtyApp {
  /** the emulated screen, one string per row, right-trimmed */
  screen(): string[];
  /** everything the app wrote, raw */
  output(): string;
  waitForText(text: string | RegExp, timeoutMs?: number): Promise<string>;
  press(data: string): void;
  resize(columns: number, rows: number): void;
  readonly exitCode: Promise<number>;
  kill(signal?: string): void;
}

/** Run the built CLI in a real pseudo-terminal, feeding its output into a headless xterm. */
export function spawnCli(args: string[], options: {cols?: number; rows?: number; cwd: string; env?: NodeJS.ProcessEnv}): PtyApp {
  const cols = options.cols ?? 100;
  const rows = options.rows ?? 30;
  const terminal = new xterm.Terminal({cols, rows, allowProposedApi: true});
  const base: NodeJS.ProcessEnv = {...process.env, TERM: 'xterm-256color', FORCE_COLOR: '1'};
  delete base.CI; // the dashboard must run as on a user's terminal
  delete base.NO_COLOR;
  const env: NodeJS.ProcessEnv = {...base, ...options.env};
  const child = pty.spawn(process.execPath, [CLI, ...args], {name: 'xterm-256color', cols, rows, cwd: options.cwd, env: env as Record<string, string>});
  let raw = '';
  child.onData(data => {
    raw += data;
    terminal.write(data);
  });
  const exitCode = new Promise<number>(resolve => child.onExit(({exitCode: code}) => resolve(code)));
  const screen = () => {
    const buffer = terminal.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < terminal.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return lines;
  };
  return {
    screen,
    output: () => raw,
    waitForText: (text, timeoutMs = 8000) => waitFor(async () => {
      await new Promise<void>(resolve => terminal.write('', resolve));
      const s = screen().join('\n');
      return (typeof text === 'string' ? s.includes(text) : text.test(s)) ? s : '';
    }, `screen to show ${String(text)}; screen was:\n${screen().join('\n')}`, timeoutMs),
    press: data => child.write(data),
    resize: (c, r) => {
      child.resize(c, r);
      terminal.resize(c, r);
    },
    exitCode,
    kill: signal => child.kill(signal),
  };
}
