/**
 * One measured start of the built CLI (headless) against a broker that already holds a fleet's retained
 * attributes, as the inventory figures need it: from process start to "all ready" and to "all complete",
 * resident memory at that moment and its peak. Used by the benches and by scripts/profile-load.ts.
 *
 * "complete" = the device is listed, `$state` ready, firmware name and version and IP known (an inverted
 * GET /api/devices?filter= returns none that lack one), then checked on every 50th device's detail: its
 * nodes listed. Afterwards, once homie-ota says the rest of the rows is in (discovery.detailsAt), the
 * same devices' names and node properties are checked. Fleets come from publishFleet (firmware
 * fleet-sensor 1.0.0, IP 10.x).
 *
 * How often "complete" is asked decides how truthful the time is: the list of devices lacking an
 * attribute costs homie-ota a JSON of every such record, so it cannot be asked every 50 ms while
 * thousands lack one. GET /api/inventory (cheap) is asked every 10 ms until every device is ready and
 * homie-ota says the rows are in, then every 50 ms. Once it says few devices' attributes are still
 * arriving (discovery.loading under 2 %), or that every device's firmware, IP and nodes are in
 * (discovery.rowsAt), or few lack one, the list is asked at once and then every COMPLETE_POLL_MS,
 * and only a list with none lacking counts. homie-ota's own word is never taken:
 * `claimedEarly` says when it said "loaded" while the list still showed devices lacking attributes. Before
 * that the list is asked every SLOW_POLL_MS, in case homie-ota never says so (the time is then up to
 * that late, which `lackingTrace` shows).
 */
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {CLI, freePort, tempDir} from './processes.js';

export interface FleetStart {
  readonly devices: number;
  /** ms from spawn until GET /api/inventory counts every device ready */
  readonly readyMs: number;
  /** ms from spawn until no device lacks $state ready, firmware name/version or IP (see waitComplete for the polling) */
  readonly completeMs: number;
  /** ms from spawn until GET /api/inventory first showed the discovery's phase complete (NaN: it had not) */
  readonly discoveryMs: number;
  /** resident memory when complete, and the peak so far (VmHWM) */
  readonly rssMb: number;
  readonly peakRssMb: number;
  /** false: a sampled device lacked its nodes when complete */
  readonly nodesKnown: boolean;
  /** ms from spawn to homie-ota's discovery.detailsAt (name, signal, uptime, node properties; NaN: never said) */
  readonly detailsMs: number;
  /** false: once detailsAt was said, a sampled device lacked its name or a node's properties */
  readonly detailsKnown: boolean;
  /** ms from spawn until the HTTP API first answered (the process start itself, on a loaded machine) */
  readonly answeringMs: number;
  /** [ms from spawn, devices lacking an attribute] at each time that was asked */
  readonly lackingTrace: ReadonlyArray<readonly [number, number]>;
  /** ms from spawn when GET /api/inventory first said no device's attributes were still arriving (NaN: never) */
  readonly loadedSaidMs: number;
  /** devices lacking an attribute when homie-ota said none was loading any more (0: it told the truth) */
  readonly claimedEarly: number;
}

export const COMPLETE_POLL_MS = 100;
export const SLOW_POLL_MS = 5000;
const FILTER = 'state:ready fw:fleet-sensor version:1.0.0 ip:10.';

export function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
}

async function getJson(url: string, attempt = 1): Promise<any> {
  // a kept-alive connection the server closes just as it is reused fails the request: ask again
  const res = await fetch(url).catch((error: unknown) => {
    if (attempt >= 3) throw error;
    return null;
  });
  if (!res) return getJson(url, attempt + 1);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

export interface StartedCli {
  readonly child: ChildProcess;
  readonly base: string;
  readonly dir: string;
  readonly startedAt: number;
  /** Date.now() at the spawn, to place homie-ota's own timestamps */
  readonly startedEpoch: number;
  stderr(): string;
  stop(): Promise<void>;
}

/** The built CLI, headless, with its own temp folder, HTTP port and firmware folder. `nodeArgs` go before the script (--cpu-prof …). */
export async function startCli(args: string[], options: {nodeArgs?: string[]; env?: NodeJS.ProcessEnv; firmware?: ReadonlyArray<readonly [string, Buffer]>} = {}): Promise<StartedCli> {
  const dir = tempDir('homie-ota-bench-');
  if (options.firmware) {
    fs.mkdirSync(path.join(dir, 'fw'));
    for (const [name, image] of options.firmware) fs.writeFileSync(path.join(dir, 'fw', name), image);
  }
  const port = await freePort();
  const startedAt = performance.now();
  const startedEpoch = Date.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, '--headless', '--http-host', '127.0.0.1', '--http-port', String(port),
    '--firmware-dir', path.join(dir, 'fw'), '--log-file', 'none', '--no-watch', ...args], {stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, env: options.env ?? process.env});
  let stderr = '';
  child.stderr!.on('data', d => (stderr += d));
  return {
    child, dir, startedAt, startedEpoch, base: `http://127.0.0.1:${port}`, stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise(resolve => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, {recursive: true, force: true});
    },
  };
}

/**
 * Wait until `count` devices are ready and complete; the CLI keeps running. `quiet`: ask for the
 * devices lacking attributes only once the discovery says it is done (a profile then shows homie-ota's
 * own work, not the bench's requests; the time may come late if the discovery does).
 */
export async function waitComplete(cli: StartedCli, count: number, options: {timeoutMs?: number; quiet?: boolean} = {}): Promise<FleetStart> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const deadline = Date.now() + timeoutMs;
  const since = () => performance.now() - cli.startedAt;
  let readyMs = NaN;
  let completeMs = NaN;
  let discoveryMs = NaN;
  let lastFilter = 0;
  let lacking = count;
  let answeringMs = NaN;
  let loadedSaidMs = NaN;
  let claimedEarly = 0;
  let claimChecked = false;
  let wasClose = false;
  const lackingTrace: Array<[number, number]> = [];
  for (;;) {
    if (Date.now() > deadline) throw new Error(`not complete after ${timeoutMs} ms; stderr: ${cli.stderr()}`);
    if (cli.child.exitCode !== null) throw new Error(`homie-ota exited (${cli.child.exitCode}): ${cli.stderr()}`);
    const status = await getJson(`${cli.base}/api/inventory`).catch(() => null);
    if (status && Number.isNaN(answeringMs)) answeringMs = since();
    if (status && Number.isNaN(readyMs) && status.total === count && (status.states?.ready ?? 0) === count) {
      readyMs = since();
      // the first slow ask comes SLOW_POLL_MS after ready: a list of nearly every device right then costs homie-ota most
      lastFilter = performance.now();
    }
    // completedAt marks the end of the first load only (devices found meanwhile load after it): the
    // discovery is done when its phase says complete, and not while it has gone back to loading
    const done = status?.discovery?.phase === 'complete';
    if (status) discoveryMs = done ? (Number.isNaN(discoveryMs) ? since() : discoveryMs) : NaN;
    const saidLoaded = status && status.total === count && status.discovery?.loading === 0 && status.discovery.phase !== 'discovering';
    if (saidLoaded && Number.isNaN(loadedSaidMs)) loadedSaidMs = since();
    // see the top of this file for how often the list of devices lacking an attribute is asked
    const close = count === 0 || status?.discovery?.rowsAt !== undefined || !Number.isNaN(loadedSaidMs) || !Number.isNaN(discoveryMs) || lacking < count / 50 || (status?.discovery?.loading ?? count) < count / 50;
    // the moment it becomes close, ask at once (else the figure could be up to COMPLETE_POLL_MS late)
    if (close && !wasClose) lastFilter = -Infinity;
    wasClose = close;
    const asking = !Number.isNaN(readyMs) && (!options.quiet || close);
    if (asking && performance.now() - lastFilter >= (close ? COMPLETE_POLL_MS : SLOW_POLL_MS)) {
      lastFilter = performance.now();
      lacking = ((await getJson(`${cli.base}/api/devices?invert=true&filter=${encodeURIComponent(FILTER)}`)) as unknown[]).length;
      lackingTrace.push([Math.round(since()), lacking]);
      // the first answer after homie-ota said loaded checks its word
      if (!Number.isNaN(loadedSaidMs) && !claimChecked) {
        claimChecked = true;
        claimedEarly = lacking;
      }
      if (lacking === 0) completeMs = since();
    }
    if (!Number.isNaN(completeMs)) break;
    // every 10 ms until every device is ready and until homie-ota says the rows are in (either figure
    // would otherwise be up to 50 ms late), then 50
    await new Promise(resolve => setTimeout(resolve, Number.isNaN(readyMs) || !close ? 10 : 50));
  }
  const rssMb = procStatusMb(cli.child.pid!, 'VmRSS');
  const peakRssMb = procStatusMb(cli.child.pid!, 'VmHWM');
  const list = (await getJson(`${cli.base}/api/devices`)) as Array<{key: string}>;
  const sampled = list.filter((_, i) => i % 50 === 0 || i === list.length - 1).map(r => `${cli.base}/api/devices/${encodeURIComponent(r.key)}`);
  let nodesKnown = true;
  for (const url of sampled) if ((await getJson(url)).nodes.length < 2) nodesKnown = false;
  // the rest of the rows: homie-ota's word, then checked
  let detailsAt: number | undefined;
  while (count > 0 && detailsAt === undefined && Date.now() < deadline) {
    detailsAt = (await getJson(`${cli.base}/api/inventory`)).discovery?.detailsAt;
    if (detailsAt === undefined) await new Promise(resolve => setTimeout(resolve, 20));
  }
  let detailsKnown = detailsAt !== undefined || count === 0;
  for (const url of detailsAt === undefined ? [] : sampled) {
    const detail = await getJson(url);
    const properties = detail.nodes.reduce((n: number, node: {properties: unknown[]}) => n + node.properties.length, 0);
    if (!detail.name || properties < 3) detailsKnown = false;
  }
  const round = Math.round;
  return {devices: count, readyMs: round(readyMs), completeMs: round(completeMs), discoveryMs: round(discoveryMs), rssMb, peakRssMb, nodesKnown,
    detailsMs: detailsAt === undefined ? NaN : detailsAt - cli.startedEpoch, detailsKnown,
    answeringMs: round(answeringMs), lackingTrace, loadedSaidMs: round(loadedSaidMs), claimedEarly};
}
