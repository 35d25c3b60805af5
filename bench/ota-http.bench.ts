/**
 * HTTP pull throughput: 50 concurrent clients downloading a 512 KiB image from the OTA endpoint with
 * ESP8266 update-client headers (wrk, 10 s), next to nginx serving the same file the same way when
 * nginx is installed. Target: at least half of nginx's requests per second, no errors.
 */
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {buildFirmwareImage} from '../src/sim/build-image.js';
import type {BenchResult} from './run.js';
import {CLI, freePort, tempDir, waitForPort, which} from './lib/processes.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;

interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  readonly errors: string;
  readonly mbps: number;
}

// On a 2-core machine wrk and the server fight for the same CPUs, and a server that uses less CPU
// (nginx's sendfile) leaves more for wrk. Pinning the server to one core and wrk to the other compares
// the servers rather than the scheduler; both ways are reported.
const PIN = which('taskset') !== null && (await import('node:os')).cpus().length >= 2;

function pinned(core: number | null, command: string, args: string[]): [string, string[]] {
  return core === null || !PIN ? [command, args] : ['taskset', ['-c', String(core), command, ...args]];
}

function wrk(url: string, headers: string[], pin: boolean): WrkResult {
  const args = ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--timeout', '10s', ...headers.flatMap(h => ['-H', h]), url];
  const [command, full] = pinned(pin ? 0 : null, 'wrk', args);
  const out = spawnSync(command, full, {encoding: 'utf8'}).stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const transfer = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(out);
  const mbps = transfer ? Number(transfer[1]) * (transfer[2] === 'GB' ? 1024 : transfer[2] === 'KB' ? 1 / 1024 : 1) : 0;
  const socket = /Socket errors: (.*)/.exec(out)?.[1];
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  const errors = [socket ? `socket ${socket}` : '', non2xx ? `${non2xx} non-2xx` : ''].filter(Boolean).join('; ') || 'none';
  return {rps, requests, errors, mbps};
}

export async function run(): Promise<BenchResult> {
  if (!which('wrk')) {
    return {title: 'HTTP pull throughput', columns: ['server'], rows: [], note: 'wrk is not installed (apt-get install wrk); skipped'};
  }
  const dir = tempDir('homie-ota-bench-http-');
  // nginx workers run as an unprivileged user: they must be able to read the folder
  fs.chmodSync(dir, 0o755);
  const firmware = path.join(dir, 'firmwares');
  fs.mkdirSync(firmware);
  fs.writeFileSync(path.join(firmware, 'relay-1.1.0.bin'), buildFirmwareImage({name: 'relay', version: '1.1.0', size: 512 * 1024}));
  const otaHeaders = ['User-Agent: ESP8266-http-Update', 'x-ESP8266-version: 1a2b3c4d=relay=1.0.0=', 'x-ESP8266-free-space: 1044480', 'Connection: close'];
  const rows: Array<Array<string | number>> = [];
  const ratios: string[] = [];
  for (const pin of PIN ? [true, false] : [false]) {
    const label = pin ? 'pinned: server on core 1, wrk on core 0' : 'unpinned';
    const httpPort = await freePort();
    const [command, args] = pinned(pin ? 1 : null, process.execPath, [CLI, '--headless', '--log-file', 'none', '--firmware-dir', firmware, '--http-port', String(httpPort), '--http-host', '127.0.0.1', '--broker-port', String(await freePort()), '--no-watch']);
    const child = spawn(command, args, {cwd: dir, stdio: 'ignore'});
    let ours: WrkResult;
    try {
      await waitForPort(httpPort, 60_000); // a loaded machine can take more than 10 s to start it
      await new Promise(resolve => setTimeout(resolve, 500));
      ours = wrk(`http://127.0.0.1:${httpPort}/ota`, otaHeaders, pin);
    } finally {
      child.kill('SIGTERM');
      await new Promise(resolve => child.once('exit', resolve));
    }
    rows.push([`homie-ota (${label})`, ours.rps.toFixed(0), ours.requests, ours.mbps.toFixed(0), ours.errors]);
    if (!which('nginx')) continue;
    const port = await freePort();
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, `worker_processes auto; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; server { listen 127.0.0.1:${port}; root ${firmware}; } }
`);
    const [nginxCommand, nginxArgs] = pinned(pin ? 1 : null, 'nginx', ['-c', conf, '-p', dir]);
    const nginx = spawn(nginxCommand, nginxArgs, {stdio: 'ignore'});
    try {
      await waitForPort(port);
      const theirs = wrk(`http://127.0.0.1:${port}/relay-1.1.0.bin`, ['Connection: close'], pin);
      rows.push([`nginx, same file (${label})`, theirs.rps.toFixed(0), theirs.requests, theirs.mbps.toFixed(0), theirs.errors]);
      ratios.push(`${((ours.rps / theirs.rps) * 100).toFixed(0)}% of nginx ${pin ? 'pinned' : 'unpinned'}`);
    } finally {
      nginx.kill('SIGTERM');
      await new Promise(resolve => nginx.once('exit', resolve));
    }
  }
  const nginxNote = which('nginx') ? ` homie-ota reaches ${ratios.join(', ')} (target ≥ 50%). Run it on a quiet machine: other load skews it.` : ' nginx is not installed (apt-get install nginx) so there is no comparison.';
  fs.rmSync(dir, {recursive: true, force: true});
  return {
    title: `HTTP pull: 512 KiB image, ${CONNECTIONS} connections, ${SECONDS} s (wrk, Connection: close as ESP clients send)`,
    columns: ['server', 'requests/s', 'requests', 'MB/s', 'errors'],
    rows,
    note: `The Python original reached 832 requests/s with 5 time-outs against nginx's 6,328 on the reference machine (13%).${nginxNote}`,
  };
}
