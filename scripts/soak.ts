/**
 * The soak: homie-ota (the built CLI, headless, a child process) against a stock mosquitto and a
 * 2,000-device simulated fleet that churns — devices losing power and coming back, reboots, stats
 * every 15 s — while a loop keeps OTA jobs coming through the HTTP API (batches of random devices to
 * random versions; a few devices fail their flash or drop mid-transfer). It prints homie-ota's
 * resident memory and CPU at the start, every few minutes and at the end, with the jobs done and
 * failed, then stops homie-ota with SIGTERM and checks it exits 0.
 *
 *   npm run build && npx tsx scripts/soak.ts [--minutes 30] [--devices 2000] [--report 3] [--json FILE]
 *
 * `runSoak()` is also what the reliability suite's short soak calls.
 */
import fs from 'node:fs';
import path from 'node:path';
import {startFleet, parseFaultAssignment, type Fleet} from '../src/sim/index.js';
import {startHomieOta, type HomieOtaProcess} from '../test/helpers/homie-ota-process.js';
import {findMosquitto, startMosquitto, type Mosquitto} from '../test/helpers/mosquitto.js';
import {placeFirmware} from '../test/helpers/reliability.js';
import {tempDir} from '../test/helpers/tmp.js';

export interface SoakOptions {
  readonly minutes: number;
  readonly devices: number;
  /** minutes between report lines */
  readonly reportEvery: number;
  /** seconds of warm-up before the "start" memory figure is taken */
  readonly warmup?: number;
  readonly log?: (line: string) => void;
}

export interface Sample {
  /** seconds since the warm-up ended */
  readonly t: number;
  readonly rssMb: number;
  readonly cpuPercent: number;
}

export interface SoakResult {
  readonly minutes: number;
  readonly devices: number;
  readonly samples: readonly Sample[];
  readonly rssStart: number;
  readonly rssEnd: number;
  readonly rssMin: number;
  readonly rssMax: number;
  /** least-squares slope of RSS over the run's second half, MB per hour */
  readonly slopeMbPerHour: number;
  readonly jobsDone: number;
  readonly jobsFailed: number;
  readonly jobsOther: number;
  readonly jobsRequested: number;
  readonly churned: number;
  readonly packets: number;
  readonly exitCode: number | null;
  readonly problems: readonly string[];
}

const VERSIONS = Array.from({length: 8}, (_, i) => `1.${i}.0`);

function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function slope(points: readonly {x: number; y: number}[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const problems: string[] = [];
  const tmp = tempDir('homie-ota-soak-');
  const root = path.join(tmp.dir, 'firmwares');
  for (const version of VERSIONS) placeFirmware(root, `soak-${version}.bin`, {name: 'soak', version, size: 120_000});
  let broker: Mosquitto | null = null;
  let fleet: Fleet | null = null;
  let proc: HomieOtaProcess | null = null;
  const timers: NodeJS.Timeout[] = [];
  try {
    if (!findMosquitto()) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)');
    broker = await startMosquitto();
    proc = await startHomieOta({
      cwd: tmp.dir,
      args: ['--mqtt', broker.url, '--prefix', 'homie,devices', '--firmware-dir', root, '--log-file', 'homie-ota.log'],
      watch: [/unexpected error|unhandled rejection|could not be loaded|listener of .* failed/i],
    });
    const p = proc;
    fleet = startFleet({
      url: broker.url,
      devices: options.devices,
      generations: 'v3:80,v2:15,v1:5',
      idPrefix: 'soak',
      fw: 'soak@1.0.0',
      statsInterval: 15,
      flashSpeed: 200_000,
      rebootDelay: 1500,
      otaHttpUrl: `${p.base}/ota`,
      faults: [parseFaultAssignment('flash-error=50:1%'), parseFaultAssignment('drop=30:1%')],
    });
    const f = fleet;
    await f.waitAllAdvertised(180_000);
    const listed = async () => ((await p.api('/api/devices')).body as unknown[]).length;
    for (let i = 0; i < 120 && (await listed()) < options.devices; i++) await sleep(1000);
    log(`soak: ${options.devices} devices (v3 80 %, v2 15 %, v1 5 %; stats every 15 s; 1 % fail their flash, 1 % drop mid-transfer), mosquitto ${broker.url}, homie-ota pid ${p.pid}, ${options.minutes} min`);

    // churn: every 2 s a few devices lose power (back 5–30 s later) and one reboots
    let churned = 0;
    timers.push(setInterval(() => {
      for (let i = 0; i < 3; i++) {
        const device = f.devices[Math.floor(Math.random() * f.devices.length)]!;
        if (device.state !== 'ready') continue;
        void device.goOffline();
        churned++;
        setTimeout(() => device.goOnline(), 5000 + Math.random() * 25_000).unref();
      }
      const rebooting = f.devices[Math.floor(Math.random() * f.devices.length)]!;
      if (rebooting.state === 'ready') rebooting.reboot();
    }, 2000));

    // OTA: every 15 s a batch of 12 random ready devices to a random version
    let jobsRequested = 0;
    const outcome = new Map<string, string>();
    const reasons = new Map<string, string>();
    timers.push(setInterval(() => {
      const ready = f.devices.filter(d => d.state === 'ready' && d.generation !== 'homie5' && d.generation !== 'homie4');
      const batch = Array.from({length: 12}, () => ready[Math.floor(Math.random() * ready.length)]!.id);
      const version = VERSIONS[Math.floor(Math.random() * VERSIONS.length)]!;
      jobsRequested += new Set(batch).size;
      void p.api('/api/jobs', {method: 'POST', headers: {'content-type': 'application/json'},
        body: JSON.stringify({devices: [...new Set(batch)], firmware: `soak@${version}`, canary: false, maxFailures: 1000})}).catch(error => problems.push(`POST /api/jobs: ${(error as Error).message}`));
    }, 15_000));
    // every finished job, counted once (the list keeps the newest 500 finished ones)
    const collect = async () => {
      const {body} = await p.api('/api/jobs');
      for (const job of (body as {jobs: Array<{id: string; state: string; error?: string}>}).jobs) {
        if (['done', 'failed', 'cancelled', 'skipped'].includes(job.state)) outcome.set(job.id, job.state);
        if (job.state === 'failed') reasons.set(job.id, (job.error ?? '?').replace(/\d+/g, 'N').replace(/running [^\s,]+ [^\s,]+/g, 'running X'));
      }
    };

    const warmup = (options.warmup ?? 30) * 1000;
    await sleep(warmup);
    const samples: Sample[] = [];
    const startedAt = performance.now();
    let lastCpu = cpuSeconds(p.pid);
    let lastAt = startedAt;
    const sample = () => {
      const now = performance.now();
      const cpu = cpuSeconds(p.pid);
      const s = {t: (now - startedAt) / 1000, rssMb: p.rssMb(), cpuPercent: Math.round(((cpu - lastCpu) / ((now - lastAt) / 1000)) * 100)};
      lastCpu = cpu;
      lastAt = now;
      samples.push(s);
      return s;
    };
    const line = async (label: string) => {
      const s = samples.at(-1)!;
      await collect().catch(error => problems.push(`GET /api/jobs: ${(error as Error).message}`));
      const inventory = (await p.api('/api/inventory')).body as {total: number; online: number};
      const counts = [...outcome.values()].reduce<Record<string, number>>((a, state) => ({...a, [state]: (a[state] ?? 0) + 1}), {});
      log(`${label.padEnd(6)} RSS ${String(s.rssMb).padStart(4)} MB  CPU ${String(s.cpuPercent).padStart(3)} %  devices ${inventory.total} listed, ${inventory.online} online  `
        + `jobs done ${counts.done ?? 0}, failed ${counts.failed ?? 0}, skipped ${counts.skipped ?? 0}  churned ${churned}  fleet ${f.summary().packets.toLocaleString('en-US')} packets`);
    };
    sample();
    await line('start');
    const end = startedAt + options.minutes * 60_000;
    let nextReport = startedAt + options.reportEvery * 60_000;
    while (performance.now() < end) {
      await sleep(Math.min(5000, Math.max(0, end - performance.now())));
      if (!p.running()) {
        problems.push(`homie-ota exited: ${p.tail(10).join(' | ')}`);
        break;
      }
      sample();
      if (samples.length % 6 === 0) await collect().catch(() => {});
      if (performance.now() >= nextReport && performance.now() < end - 1000) {
        await line(clock((performance.now() - startedAt) / 1000));
        nextReport += options.reportEvery * 60_000;
      }
    }
    sample();
    await line('end');
    for (const timer of timers) clearInterval(timer);
    problems.push(...p.matches().map(m => `homie-ota said: ${m}`));
    const rss = samples.map(s => s.rssMb);
    const half = samples.filter(s => s.t >= samples.at(-1)!.t / 2).map(s => ({x: s.t / 3600, y: s.rssMb}));
    const finals = [...outcome.values()];
    await fleet.stop();
    fleet = null;
    const exit = await p.stop(20_000);
    if (exit.code !== 0) problems.push(`homie-ota exited with ${exit.code ?? exit.signal} on SIGTERM`);
    const result: SoakResult = {
      minutes: options.minutes,
      devices: options.devices,
      samples,
      rssStart: rss[0]!,
      rssEnd: rss.at(-1)!,
      rssMin: Math.min(...rss),
      rssMax: Math.max(...rss),
      slopeMbPerHour: Math.round(slope(half) * 10) / 10,
      jobsDone: finals.filter(s => s === 'done').length,
      jobsFailed: finals.filter(s => s === 'failed').length,
      jobsOther: finals.filter(s => s !== 'done' && s !== 'failed').length,
      jobsRequested,
      churned,
      packets: f.summary().packets,
      exitCode: exit.code,
      problems,
    };
    log(`soak: RSS ${result.rssStart} MB at the start, ${result.rssEnd} MB at the end (min ${result.rssMin}, max ${result.rssMax}${options.minutes >= 10 ? `; second-half trend ${result.slopeMbPerHour} MB/h` : ''}); `
      + `jobs done ${result.jobsDone}, failed ${result.jobsFailed}, skipped/cancelled ${result.jobsOther} of ${jobsRequested} requested; ${churned} power cuts; exit ${exit.code}`);
    const why = [...reasons.values()].reduce<Map<string, number>>((m, r) => m.set(r, (m.get(r) ?? 0) + 1), new Map());
    for (const [reason, count] of [...why].sort((a, b) => b[1] - a[1])) log(`  failed ${String(count).padStart(4)}× ${reason}`);
    if (problems.length > 0) log(`soak: problems:\n  ${problems.join('\n  ')}`);
    return result;
  } finally {
    for (const timer of timers) clearInterval(timer);
    await fleet?.stop().catch(() => {});
    if (proc?.running()) await proc.kill9();
    await broker?.stop(true).catch(() => {});
    tmp.cleanup();
  }
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`soak: --${name} needs a positive number\n`);
    process.exit(2);
  }
  return value;
}

if (process.argv[1]?.endsWith('soak.ts')) {
  const minutes = flag('minutes', 30);
  const json = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
  runSoak({minutes, devices: flag('devices', 2000), reportEvery: flag('report', minutes >= 10 ? 3 : 1)}).then(result => {
    if (json) fs.writeFileSync(json, `${JSON.stringify(result, null, 1)}\n`);
    process.exitCode = result.problems.length > 0 || result.exitCode !== 0 ? 1 : 0;
  }, error => {
    process.stderr.write(`soak: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  });
}
