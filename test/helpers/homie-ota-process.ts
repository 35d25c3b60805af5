import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {CLI, ensureBuilt} from './pty.js';
import {freePort} from './ports.js';
import {waitFor} from './wait-for.js';

/**
 * homie-ota as a user runs it under systemd: the built CLI in a child process, headless, on its own
 * ports. Its stdout (one log line per entry) is scanned as it arrives: the last lines are kept, and
 * lines matching `watch` patterns are counted, so a test can assert "never said X" over hours of output
 * without holding it all.
 */
export interface HomieOtaProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly httpPort: number;
  readonly base: string;
  readonly cwd: string;
  /** headers to send with management requests (basic auth when configured) */
  readonly auth: Record<string, string>;
  /** the last lines of output (stdout and stderr) */
  tail(lines?: number): string[];
  /** every line so far that matched one of the `watch` patterns */
  matches(): readonly string[];
  /** resolves with how the process ended */
  readonly exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>;
  running(): boolean;
  /** GET/POST/DELETE … against its HTTP server with auth; the JSON body (or text when not JSON) */
  api(pathname: string, init?: RequestInit): Promise<{status: number; body: any}>;
  /** SIGTERM and wait (exit code) */
  stop(timeoutMs?: number): Promise<{code: number | null; signal: NodeJS.Signals | null}>;
  /** SIGKILL and wait */
  kill9(): Promise<void>;
  /** resident memory in MB (Linux /proc) */
  rssMb(): number;
}

export interface StartOptions {
  readonly cwd: string;
  /** extra command-line arguments (--mqtt, --firmware-dir, …) */
  readonly args?: readonly string[];
  /** INI text written to <cwd>/homie-ota.ini and passed with --config */
  readonly ini?: string;
  /** HTTP port to use (default: a free one) */
  readonly httpPort?: number;
  readonly user?: string;
  readonly password?: string;
  /** output lines to keep (matching any of these) */
  readonly watch?: readonly RegExp[];
  readonly env?: NodeJS.ProcessEnv;
  /** wait for /healthz (default true) */
  readonly waitReady?: boolean;
  /** extra wrapper in front of node, e.g. ['prlimit', '--fsize=…', '--'] */
  readonly wrapper?: readonly string[];
}

const TAIL = 400;

export async function startHomieOta(options: StartOptions): Promise<HomieOtaProcess> {
  ensureBuilt();
  const httpPort = options.httpPort ?? (await freePort());
  const args = ['--headless', '--http-host', '127.0.0.1', '--http-port', String(httpPort)];
  if (options.ini !== undefined) {
    const file = path.join(options.cwd, 'homie-ota.ini');
    fs.writeFileSync(file, options.ini);
    args.push('--config', file);
  }
  args.push(...(options.args ?? []));
  const command = options.wrapper ? [...options.wrapper, process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
  const env = {...process.env, ...options.env};
  delete env.CI;
  const child = spawn(command[0]!, command.slice(1), {cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env});
  const tail: string[] = [];
  const matches: string[] = [];
  const watch = options.watch ?? [];
  const take = (stream: NodeJS.ReadableStream | null, label: string) => {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const text = label ? `${label}${line}` : line;
        tail.push(text);
        if (tail.length > TAIL) tail.splice(0, tail.length - TAIL);
        if (watch.some(w => w.test(line))) matches.push(text);
      }
    });
  };
  take(child.stdout, '');
  take(child.stderr, '[stderr] ');
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>(resolve => child.once('exit', (code, signal) => resolve({code, signal})));
  let alive = true;
  void exited.then(() => (alive = false));
  const base = `http://127.0.0.1:${httpPort}`;
  const auth: Record<string, string> = options.user ? {authorization: `Basic ${Buffer.from(`${options.user}:${options.password ?? ''}`).toString('base64')}`} : {};
  const proc: HomieOtaProcess = {
    child,
    pid: child.pid!,
    httpPort,
    base,
    cwd: options.cwd,
    auth,
    tail: (n = TAIL) => tail.slice(-n),
    matches: () => matches,
    exited,
    running: () => alive,
    api: async (pathname, init = {}) => {
      const res = await fetch(`${base}${pathname}`, {...init, headers: {...auth, ...(init.headers as Record<string, string> | undefined)}, signal: init.signal ?? AbortSignal.timeout(15_000)});
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // a text answer
      }
      return {status: res.status, body};
    },
    stop: async (timeoutMs = 15_000) => {
      if (!alive) return exited;
      child.kill('SIGTERM');
      const result = await Promise.race([exited, new Promise<null>(resolve => setTimeout(() => resolve(null), timeoutMs))]);
      if (result) return result;
      child.kill('SIGKILL');
      throw new Error(`homie-ota did not exit within ${timeoutMs} ms of SIGTERM; output:\n${tail.slice(-30).join('\n')}`);
    },
    kill9: async () => {
      if (!alive) return;
      child.kill('SIGKILL');
      await exited;
    },
    rssMb: () => {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    },
  };
  if (options.waitReady !== false) {
    try {
      await waitFor(async () => {
        if (!alive) throw new Error(`exited early:\n${tail.slice(-20).join('\n')}`);
        const res = await fetch(`${base}/healthz`, {signal: AbortSignal.timeout(2000)}).catch(() => null);
        return res?.status === 200;
      }, `homie-ota (pid ${child.pid}) to answer /healthz`, 30_000, 50);
    } catch (error) {
      if (alive) child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n${tail.slice(-30).join('\n')}`);
    }
  }
  return proc;
}

/** Stop a child that may still run (afterEach): SIGKILL, so a broken test never leaves it behind. */
export async function ensureStopped(proc: HomieOtaProcess | null | undefined): Promise<void> {
  if (proc?.running()) await proc.kill9();
}
