import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {freePort} from './ports.js';
import {tempDir} from './tmp.js';

/** Where mosquitto is, or null. Under CI=true a missing mosquitto is a failure, not a skip. */
export function findMosquitto(): string | null {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v mosquitto'], {encoding: 'utf8'});
  return which.status === 0 ? which.stdout.trim() : null;
}

export const mosquittoAvailable = findMosquitto() !== null;
/** true: run the mosquitto tests (and fail if it is missing under CI) */
export const runMosquittoTests = mosquittoAvailable || process.env.CI === 'true';

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** stop the broker (SIGKILL when `hard`) and remove its folder */
  stop(hard?: boolean): Promise<void>;
  /** start it again on the same port (also after stop()) */
  restart(): Promise<void>;
}

/**
 * A stock mosquitto (defaults except listener, anonymous access and no persistence) on 127.0.0.1 and a
 * free port. `extraConfig` lines are appended (TLS listeners in the security tests).
 */
export async function startMosquitto(options: {port?: number; extraConfig?: string[]} = {}): Promise<Mosquitto> {
  const binary = findMosquitto();
  if (!binary) throw new Error('mosquitto is not installed (apt-get install -y mosquitto); CI must have it');
  const port = options.port ?? (await freePort());
  // removed by stop(), or when the test process ends if a failing test never stops the broker
  const {dir, cleanup} = tempDir('homie-ota-mosquitto-');
  const conf = path.join(dir, 'mosquitto.conf');
  const confText = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ...(options.extraConfig ?? [])].join('\n') + '\n';
  let child: ChildProcess | null = null;
  let log = '';
  const launch = async () => {
    // written at every start: a restart after stop() finds its folder gone
    fs.mkdirSync(dir, {recursive: true});
    fs.writeFileSync(conf, confText);
    process.once('exit', cleanup);
    child = spawn(binary, ['-c', conf], {stdio: ['ignore', 'pipe', 'pipe']});
    child.stdout?.on('data', d => (log += d));
    child.stderr?.on('data', d => (log += d));
    const deadline = Date.now() + 5000;
    while (!(await canConnect(port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start on ${port}: ${log}`);
      await new Promise(resolve => setTimeout(resolve, 25));
    }
  };
  await launch();
  const halt = async (hard = false) => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise(resolve => running.once('exit', resolve));
    running.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    stop: async hard => {
      await halt(hard);
      cleanup();
      process.removeListener('exit', cleanup);
    },
    restart: async () => {
      await halt();
      process.removeListener('exit', cleanup);
      await launch();
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
