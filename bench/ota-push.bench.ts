/**
 * Memory of MQTT pushes: a 1 MiB image to 20 simulated homie-esp8266 devices, 2 at a time
 * (base64, as by default), homie-ota running headless as a separate process, resident memory sampled
 * every 100 ms.
 */
import fs from 'node:fs';
import path from 'node:path';
import {buildFirmwareImage} from '../src/sim/build-image.js';
import {startFleet} from '../src/sim/index.js';
import type {BenchResult} from './run.js';
import {freePort, rssMb, startHomieOta, stop, tempDir, waitForPort, which} from './lib/processes.js';
import {spawn} from 'node:child_process';

const DEVICES = Number(process.env.BENCH_PUSH_DEVICES ?? 20);

export async function run(): Promise<BenchResult> {
  const dir = tempDir('homie-ota-bench-push-');
  const firmware = path.join(dir, 'firmwares');
  fs.mkdirSync(firmware);
  const image = buildFirmwareImage({name: 'relay', version: '2.0.0', size: 1024 * 1024});
  fs.writeFileSync(path.join(firmware, 'relay-2.0.0.bin'), image);
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(firmware, 'relay-2.0.0.bin'), past, past);

  const brokerPort = await freePort();
  const mosquitto = which('mosquitto') ?? (fs.existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : null);
  if (!mosquitto) return {title: 'MQTT push memory', columns: ['-'], rows: [], note: 'mosquitto is not installed; skipped'};
  fs.writeFileSync(path.join(dir, 'mosquitto.conf'), `listener ${brokerPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const broker = spawn(mosquitto, ['-c', path.join(dir, 'mosquitto.conf')], {stdio: 'ignore'});
  await waitForPort(brokerPort);
  const httpPort = await freePort();
  const child = startHomieOta(['--mqtt', `mqtt://127.0.0.1:${brokerPort}`, '--firmware-dir', firmware, '--http-port', String(httpPort), '--http-host', '127.0.0.1', '--concurrency', '2', '--no-watch'], dir);
  const fleet = startFleet({
    url: `mqtt://127.0.0.1:${brokerPort}`,
    specs: Array.from({length: DEVICES}, (_, i) => ({id: `push-${String(i + 1).padStart(2, '0')}`, generation: 'v3' as const, fw: {name: 'relay', version: '1.0.0'}, freeSpace: 3_000_000})),
    flashSpeed: 1_000_000,
    rebootDelay: 500,
  });
  try {
    await waitForPort(httpPort);
    await fleet.waitAllAdvertised(30_000);
    const api = `http://127.0.0.1:${httpPort}`;
    // wait until homie-ota has every device and the firmware
    for (;;) {
      const devices = (await (await fetch(`${api}/api/devices`)).json()) as {devices?: unknown[]} | unknown[];
      const count = Array.isArray(devices) ? devices.length : devices.devices?.length ?? 0;
      const fw = (await (await fetch(`${api}/api/firmware`)).json()) as {firmware?: unknown[]} | unknown[];
      const fwCount = Array.isArray(fw) ? fw.length : fw.firmware?.length ?? 0;
      if (count >= DEVICES && fwCount > 0) break;
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    await new Promise(resolve => setTimeout(resolve, 1500));
    const baseline = rssMb(child.pid!);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.pid!))), 100);
    const started = Date.now();
    const created = await (await fetch(`${api}/api/jobs`, {method: 'POST', headers: {'content-type': 'application/json'},
      body: JSON.stringify({devices: fleet.devices.map(d => d.spec.id), firmware: 'relay@2.0.0', canary: false, maxFailures: DEVICES})})).json() as {jobs: Array<{id: string}>};
    let done = 0;
    let failed = 0;
    for (;;) {
      const jobs = ((await (await fetch(`${api}/api/jobs`)).json()) as {jobs: Array<{state: string}>}).jobs;
      done = jobs.filter(j => j.state === 'done').length;
      failed = jobs.filter(j => j.state === 'failed').length;
      if (done + failed >= created.jobs.length || Date.now() - started > 300_000) break;
      await new Promise(resolve => setTimeout(resolve, 250));
    }
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;
    const end = rssMb(child.pid!);
    return {
      title: `MQTT push: a 1 MiB image (base64) to ${DEVICES} devices, 2 at a time, mosquitto 2.0`,
      columns: ['jobs', 'done', 'failed', 'time', 'RSS before', 'RSS peak', 'RSS after'],
      rows: [[created.jobs.length, done, failed, `${seconds.toFixed(1)} s`, `${baseline} MB`, `${peak} MB`, `${end} MB`]],
      note: 'homie-ota holds the pushes in flight (image + base64 copy each, OTA_CONCURRENCY at a time); the peak is over the resident memory before the jobs.',
    };
  } finally {
    await fleet.stop();
    await stop(child);
    broker.kill('SIGTERM');
    fs.rmSync(dir, {recursive: true, force: true});
  }
}
