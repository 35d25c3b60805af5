/**
 * How big a simulated fleet one process runs: 20,000 devices multiplexed and 5,000 faithful ones
 * (each its own TCP connection and will) against a stock mosquitto on this machine. Measures the
 * time until every device has advertised, the simulator's memory and CPU, and checks with a plain
 * MQTT.js client that the broker really holds every device's retained `$state=ready`.
 * SHORT=1 runs a tenth of the sizes.
 */
import mqtt from 'mqtt';
import {startFleet, type Fleet, type FleetOptions} from '../src/sim/index.js';
import {findMosquitto, startMosquitto} from '../test/helpers/mosquitto.js';
import type {BenchResult} from './run.js';

interface Run {
  readonly label: string;
  readonly options: Omit<FleetOptions, 'url'>;
}

const short = process.env.SHORT === '1';
const scale = (n: number) => (short ? Math.round(n / 10) : n);
/** stats interval of the runs: shorter than the steady-state window, so that window sees the stats load */
const STATS = short ? 4 : 15;

async function countReady(url: string, expected: number, timeoutMs: number): Promise<number> {
  // narrow QoS 0 subscriptions get every retained message (field-notes.md)
  const client = await mqtt.connectAsync(url, {reconnectPeriod: 0});
  const ready = new Set<string>();
  client.on('message', (topic, payload) => {
    if (payload.toString() === 'ready' || payload.toString() === 'true') ready.add(topic);
  });
  await client.subscribeAsync({'homie/+/$state': {qos: 0}, 'homie/+/$online': {qos: 0}, 'devices/+/$online': {qos: 0}});
  const deadline = Date.now() + timeoutMs;
  while (ready.size < expected && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100));
  await client.endAsync();
  return ready.size;
}

async function measure(run: Run): Promise<Array<string | number>> {
  const mosquitto = await startMosquitto();
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  let fleet: Fleet | null = null;
  try {
    fleet = startFleet({url: mosquitto.url, ...run.options});
    await fleet.waitAllAdvertised(15 * 60_000);
    const advertiseSeconds = (Date.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuShare = (cpu.user + cpu.system) / 1000 / (Date.now() - started);
    const packets = fleet.summary().packets;
    // steady state (stats and values only), once the values and first stats queued at ready are out
    while (fleet.summary().waiting > 0) await new Promise(resolve => setTimeout(resolve, 200));
    await new Promise(resolve => setTimeout(resolve, 2000));
    const steadyCpu = process.cpuUsage();
    const steadyPackets = fleet.summary().packets;
    const steadyStart = Date.now();
    await new Promise(resolve => setTimeout(resolve, short ? 5000 : 20_000)); // longer than a stats period
    const steadyMs = Date.now() - steadyStart;
    const steady = process.cpuUsage(steadyCpu);
    global.gc?.();
    const heap = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    const rss = process.memoryUsage().rss / 1024 / 1024;
    const ready = await countReady(mosquitto.url, fleet.devices.length, 60_000);
    return [
      run.label, fleet.devices.length, fleet.mode, advertiseSeconds.toFixed(1), Math.round(packets / advertiseSeconds),
      `${Math.round(cpuShare * 100)} %`, Math.round(((fleet.summary().packets - steadyPackets) * 1000) / steadyMs),
      `${Math.round(((steady.user + steady.system) / 1000 / steadyMs) * 100)} %`, heap.toFixed(0), `${((heap * 1024) / fleet.devices.length).toFixed(1)} KB`, rss.toFixed(0),
      `${ready}/${fleet.devices.length}`,
    ];
  } finally {
    await fleet?.stop();
    await mosquitto.stop();
  }
}

export async function run(): Promise<BenchResult> {
  if (!findMosquitto()) {
    return {title: 'Simulated fleet at scale', columns: ['skipped'], rows: [['mosquitto is not installed (apt-get install mosquitto)']]};
  }
  const runs: Run[] = [
    {label: 'multiplexed, 8 connections', options: {devices: scale(20_000), generations: 'v3:80,v2:15,v1:5', mode: 'multiplexed', connections: 8, publishRate: 20_000, statsInterval: STATS}},
    {label: 'faithful', options: {devices: scale(5000), generations: 'v3:80,v2:15,v1:5', mode: 'faithful', publishRate: 20_000, connectRate: 1000, statsInterval: STATS}},
  ];
  const rows: Array<Array<string | number>> = [];
  for (const r of runs) rows.push(await measure(r));
  return {
    title: 'Simulated fleet at scale (simulator and mosquitto on the same machine)',
    columns: ['mode', 'devices', 'fleet mode', 'all advertised (s)', 'packets/s', 'CPU advertising', 'steady packets/s', 'steady CPU', 'heap (MB)', 'heap per device', 'process RSS (MB)', 'ready/online at broker'],
    rows,
    note: `rate bound 20,000 packets/s; stats every ${STATS} s (${60 / STATS}× the default load); ${short ? 'SHORT=1 (a tenth of the sizes); ' : ''}CPU is the simulator process only (100 % = one core); ${global.gc ? "heap after GC" : "heap WITHOUT a GC first (run through npm run bench, which passes --expose-gc)"}, RSS of the whole bench process`,
  };
}
