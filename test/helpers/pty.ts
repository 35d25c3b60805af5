import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import * as pty from '@lydell/node-pty';
import xterm from '@xterm/headless';
import unicode11 from '@xterm/addon-unicode11';
import {afterEach, beforeAll, beforeEach} from 'vitest';
import {tempDir} from './tmp.js';
import {waitFor} from './wait-for.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/main.js');

/** Make sure dist/ is built (npm test builds first; a lone `vitest run` may not have). */
export function ensureBuilt(): void {
  if (!fs.existsSync(CLI)) execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/build.ts')], {stdio: 'inherit', cwd: ROOT});
}

export interface PtyApp {
  /** the emulated screen, one string per row, right-trimmed */
  screen(): string[];
  /** the screen with its looks: «…» before a run of cells whose style differs from plain (inverse, bold, dim, colours) */
  styledScreen(): string[];
  /** everything the app wrote, raw */
  output(): string;
  waitForText(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** where `text` starts on screen row `y`, in terminal cells (a wide character takes two); -1 if absent */
  cellOf(y: number, text: string): number;
  /** the characters of row `y` drawn in inverse video, and in bold */
  styled(y: number): {inverse: string; bold: string};
  /** cells on screen with a foreground or background colour other than the terminal's default */
  coloredCells(): number;
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
  // emoji two cells wide, as in the terminals users have (xterm.js defaults to Unicode 6 widths)
  terminal.loadAddon(new unicode11.Unicode11Addon());
  terminal.unicode.activeVersion = '11';
  const base: NodeJS.ProcessEnv = {...process.env, TERM: 'xterm-256color', FORCE_COLOR: '1'};
  delete base.CI; // the dashboard must run as on a user's terminal
  delete base.NO_COLOR;
  // a variable given as undefined is removed, not passed as the text "undefined"
  const env = Object.fromEntries(Object.entries({...base, ...options.env}).filter(([, value]) => value !== undefined)) as Record<string, string>;
  const child = pty.spawn(process.execPath, [CLI, ...args], {name: 'xterm-256color', cols, rows, cwd: options.cwd, env});
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
  const cellsOf = (y: number) => {
    const line = terminal.buffer.active.getLine(terminal.buffer.active.viewportY + y);
    const cells: Array<{x: number; chars: string; inverse: boolean; bold: boolean; colored: boolean; look: string}> = [];
    for (let x = 0; line && x < terminal.cols; x++) {
      const cell = line.getCell(x);
      if (!cell || cell.getWidth() === 0) continue;
      const look = [cell.isInverse() ? 'inverse' : '', cell.isBold() ? 'bold' : '', cell.isDim() ? 'dim' : '',
        cell.isFgDefault() ? '' : `fg${cell.getFgColor()}`, cell.isBgDefault() ? '' : `bg${cell.getBgColor()}`].filter(Boolean).join(' ');
      cells.push({x, chars: cell.getChars() || ' ', inverse: Boolean(cell.isInverse()), bold: Boolean(cell.isBold()), colored: !cell.isFgDefault() || !cell.isBgDefault(), look});
    }
    return cells;
  };
  const styledScreen = () => Array.from({length: terminal.rows}, (_, y) => {
    let text = '';
    let style = '';
    for (const cell of cellsOf(y)) {
      if (cell.look !== style) text += `«${cell.look}»`;
      style = cell.look;
      text += cell.chars;
    }
    return text.replace(/(«»)? +$/, '');
  });
  return {
    screen,
    styledScreen,
    cellOf: (y, text) => {
      const cells = cellsOf(y);
      const joined = cells.map(c => c.chars).join('');
      const at = joined.indexOf(text);
      if (at < 0) return -1;
      // map the string index back to the cell it starts in
      let length = 0;
      for (const c of cells) {
        if (length >= at) return c.x;
        length += c.chars.length;
      }
      return -1;
    },
    styled: y => {
      const cells = cellsOf(y);
      return {inverse: cells.filter(c => c.inverse).map(c => c.chars).join(''), bold: cells.filter(c => c.bold).map(c => c.chars).join('')};
    },
    coloredCells: () => Array.from({length: terminal.rows}, (_, y) => cellsOf(y).filter(c => c.colored).length).reduce((a, b) => a + b, 0),
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

/**
 * For a test file that runs the CLI in a pty: builds dist/ once, gives each test a fresh folder
 * (`context.dir`), and kills the app a test left in `context.app`.
 */
export function ptyContext(): {readonly dir: string; app: PtyApp | null} {
  const context = {dir: '', app: null as PtyApp | null};
  let cleanup = () => {};
  beforeAll(() => ensureBuilt());
  beforeEach(() => ({dir: context.dir, cleanup} = tempDir()));
  afterEach(async () => {
    if (context.app) {
      context.app.kill('SIGKILL');
      await context.app.exitCode;
    }
    context.app = null;
    cleanup();
  });
  return context;
}
