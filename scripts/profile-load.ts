/**
 * Where the time and memory of a fleet load go, re-checkable from the files it leaves:
 *
 *   node --import tsx scripts/profile-load.ts run [devices=20000] [out=./profile-out]
 *     a stock mosquitto with the fleet's retained Homie 3 attributes; the built CLI headless under
 *     --cpu-prof and --heapsnapshot-signal; a heap snapshot when the fleet is complete, then one of an
 *     idle start (no devices, embedded broker); prints the summaries below.
 *   node --import tsx scripts/profile-load.ts top <file.cpuprofile> [n=25]
 *     the top functions by self time (and the share by package / source file)
 *   node --import tsx scripts/profile-load.ts heap <file.heapsnapshot> [n=25]
 *     self size by constructor, the largest strings' share, and which packages' code is loaded
 */
import fs from 'node:fs';
import path from 'node:path';
import {findMosquitto, startMosquitto} from '../test/helpers/mosquitto.js';
import {publishFleet} from '../test/helpers/homie-publisher.js';
import {procStatusMb, startCli, waitComplete, type StartedCli} from '../bench/lib/fleet-start.js';

interface ProfileNode {
  id: number;
  callFrame: {functionName: string; url: string; lineNumber: number};
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

/** package or source file of a script URL: "mqtt", "src/engine/inventory/topics", "node:internal/…" */
export function origin(url: string): string {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1).replace(/\.js$/, '');
  return url.replace(/^file:\/\//, '');
}

export function topFunctions(file: string, n = 25): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map(node => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  const busy = total - idle;
  const perFunction = new Map<string, number>();
  const perOrigin = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    const key = `${frame.functionName || '(anonymous)'}  ${origin(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    perFunction.set(key, (perFunction.get(key) ?? 0) + us);
    perOrigin.set(origin(frame.url), (perOrigin.get(origin(frame.url)) ?? 0) + us);
  }
  const lines = [`${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (shares below are of busy time)`, '', 'self time by function:'];
  for (const [key, us] of [...perFunction].sort((a, b) => b[1] - a[1]).slice(0, n)) lines.push(`  ${pct(us, busy).padStart(6)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
  lines.push('', 'self time by package / source file:');
  for (const [key, us] of [...perOrigin].sort((a, b) => b[1] - a[1]).slice(0, n)) lines.push(`  ${pct(us, busy).padStart(6)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
  return lines.join('\n');
}

interface HeapSnapshot {
  snapshot: {meta: {node_fields: string[]; node_types: [string[], ...unknown[]]}};
  nodes: number[];
  strings: string[];
}

export function heapSummary(file: string, n = 25): string {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as HeapSnapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map(f => fields.indexOf(f)) as [number, number, number];
  const byKind = new Map<string, {count: number; bytes: number}>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const size = snap.nodes[i + sizeAt]!;
    total += size;
    // objects by constructor; strings, arrays, code by their type
    const name = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${snap.strings[snap.nodes[i + nameAt]!]}` : `(${type})`;
    const entry = byKind.get(name) ?? {count: 0, bytes: 0};
    entry.count++;
    entry.bytes += size;
    byKind.set(name, entry);
  }
  const packages = new Set<string>();
  for (const s of snap.strings) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(s);
    if (m && s.endsWith('.js')) packages.add(m[1]!);
  }
  const lines = [`${path.basename(file)}: ${(total / 1048576).toFixed(1)} MB of JS heap objects`, '', 'self size by constructor / type:'];
  for (const [name, {count, bytes}] of [...byKind].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, n)) {
    lines.push(`  ${pct(bytes, total).padStart(6)}  ${(bytes / 1048576).toFixed(1).padStart(6)} MB  ${String(count).padStart(8)} ×  ${name.slice(0, 80)}`);
  }
  lines.push('', `packages with code in the heap: ${[...packages].sort().join(', ')}`);
  return lines.join('\n');
}

async function snapshotOf(cli: StartedCli, label: string, out: string): Promise<string> {
  const before = new Set(fs.readdirSync(cli.dir));
  cli.child.kill('SIGUSR2');
  for (;;) {
    await new Promise(resolve => setTimeout(resolve, 500));
    const made = fs.readdirSync(cli.dir).find(f => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!made) continue;
    const size = fs.statSync(path.join(cli.dir, made)).size;
    await new Promise(resolve => setTimeout(resolve, 1000));
    // written when the size stops growing and the JSON closes (a loaded disk pauses mid-file)
    const file = path.join(cli.dir, made);
    const tail = Buffer.alloc(2);
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, tail, 0, 2, Math.max(0, size - 2));
    fs.closeSync(fd);
    if (size > 0 && fs.statSync(file).size === size && tail.toString().trim().endsWith('}')) {
      const target = path.join(out, `${label}.heapsnapshot`);
      fs.copyFileSync(path.join(cli.dir, made), target);
      return target;
    }
  }
}

function memoryLine(label: string, pid: number): string {
  const tasks = fs.readdirSync(`/proc/${pid}/task`).length;
  const smaps = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (f: string) => Math.round(Number(new RegExp(`^${f}:\\s+(\\d+)`, 'm').exec(smaps)?.[1] ?? 0) / 1024);
  return `${label}: RSS ${procStatusMb(pid, 'VmRSS')} MB (peak ${procStatusMb(pid, 'VmHWM')}), anonymous ${kb('Anonymous')} MB, file-backed ${kb('Rss') - kb('Anonymous')} MB, ${tasks} threads`;
}

async function profileRun(count: number, out: string): Promise<void> {
  if (!findMosquitto()) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
  fs.mkdirSync(out, {recursive: true});
  const report: string[] = [];
  const broker = await startMosquitto();
  try {
    await publishFleet(broker.port, {count, generation: 'v3'});
    // one start under the CPU profiler, stopped when complete; another for the heap snapshot (writing
    // a snapshot of a few hundred MB would otherwise dominate the profile)
    const profiled = await startCli(['--mqtt', broker.url], {nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(out)}`]});
    try {
      const r = await waitComplete(profiled, count, {quiet: true});
      report.push(`${count} devices (profiled start): ready ${r.readyMs} ms, complete ${r.completeMs} ms, discovery ${r.discoveryMs} ms, RSS ${r.rssMb} MB (peak ${r.peakRssMb})`);
    } finally {
      await profiled.stop();
    }
    const cli = await startCli(['--mqtt', broker.url], {nodeArgs: ['--heapsnapshot-signal=SIGUSR2']});
    try {
      const r = await waitComplete(cli, count, {quiet: true});
      report.push(`${count} devices: ready ${r.readyMs} ms, complete ${r.completeMs} ms, discovery ${r.discoveryMs} ms, RSS ${r.rssMb} MB (peak ${r.peakRssMb})`);
      report.push(memoryLine(`at ${count} devices`, cli.child.pid!));
      const loaded = await snapshotOf(cli, `loaded-${count}`, out);
      report.push('', heapSummary(loaded));
    } finally {
      await cli.stop();
    }
  } finally {
    await broker.stop();
  }
  const profile = fs.readdirSync(out).filter(f => f.endsWith('.cpuprofile')).map(f => path.join(out, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  if (profile) {
    fs.renameSync(profile, path.join(out, `load-${count}.cpuprofile`));
    report.push('', topFunctions(path.join(out, `load-${count}.cpuprofile`)));
  }
  for (const [label, args] of [['idle-headless-embedded', []], ['idle-headless-external', ['--mqtt', 'EXTERNAL']]] as const) {
    const empty = args.length ? await startMosquitto() : null;
    const cli = await startCli(args.map(a => (a === 'EXTERNAL' ? empty!.url : a)), {nodeArgs: ['--heapsnapshot-signal=SIGUSR2']});
    try {
      await waitComplete(cli, 0);
      await new Promise(resolve => setTimeout(resolve, 3000));
      report.push('', memoryLine(label, cli.child.pid!));
      report.push(heapSummary(await snapshotOf(cli, label, out), 15));
    } finally {
      await cli.stop();
      await empty?.stop();
    }
  }
  fs.writeFileSync(path.join(out, 'summary.txt'), `${report.join('\n')}\n`);
  process.stdout.write(`${report.join('\n')}\n\nfiles in ${path.resolve(out)}\n`);
}

const [command, arg, arg2] = process.argv.slice(2);
if (command === 'top' && arg) process.stdout.write(`${topFunctions(arg, Number(arg2 ?? 25))}\n`);
else if (command === 'heap' && arg) process.stdout.write(`${heapSummary(arg, Number(arg2 ?? 25))}\n`);
else if (command === 'run') await profileRun(Number(arg ?? 20_000), arg2 ?? 'profile-out');
else {
  process.stderr.write('usage: profile-load.ts run [devices] [out] | top <file.cpuprofile> [n] | heap <file.heapsnapshot> [n]\n');
  process.exitCode = 2;
}
