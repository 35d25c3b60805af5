import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {startFleet, type DeviceSpec, type Fleet} from '../../../src/sim/index.js';
import {startHomieOta, type HomieOtaProcess} from '../../helpers/homie-ota-process.js';
import {runMosquittoTests, startMosquitto, type Mosquitto} from '../../helpers/mosquitto.js';
import {countStates, FINAL, jobs, placeFirmware, randomBetween, report, SHORT, stopParts, type ApiJob, waitInventoryMatches, waitJobsFinal} from '../../helpers/reliability.js';
import {tempDir} from '../../helpers/tmp.js';
import {sleep} from '../../helpers/wait-for.js';

/**
 * `kill -9` of homie-ota at random moments while a few hundred devices publish stats every two
 * seconds and a rollout is running. After every kill homie-ota is started again and must load
 * inventory.json, the firmware store and jobs.json without a complaint, must not leave or put a job
 * in the middle of a transfer without having seen it there (a transfer caught by the kill is watched,
 * never sent again), and in the end every job is final and every device listed as it really is.
 */
const KILLS = SHORT ? 10 : 50;
const TRAFFIC_DEVICES = SHORT ? 200 : 300;
const ROLLOUT_DEVICES = 30;
const COMPLAINTS = /could not be loaded|could not be read|not valid JSON|cannot read|\.bad-|unexpected error|unhandled rejection/i;

let broker: Mosquitto | null = null;
let fleet: Fleet | null = null;
let proc: HomieOtaProcess | null = null;
let cleanup: (() => void) | null = null;

afterEach(async () => {
  await stopParts({fleet, proc, broker, cleanup});
  fleet = proc = broker = cleanup = null;
});

interface FileJob {
  id: string;
  state: string;
}

function readJobsFile(root: string): FileJob[] {
  const file = path.join(root, 'jobs.json');
  if (!fs.existsSync(file)) return [];
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as {jobs: FileJob[]}).jobs;
}

const sendings = (job: ApiJob) => job.timeline.filter(e => e.state === 'sending').length;


describe.runIf(runMosquittoTests)('kill -9 at random moments', () => {
  it(`loads everything and reconciles jobs after ${KILLS} SIGKILLs under load`, async () => {
    const tmp = tempDir('homie-ota-kill9-');
    cleanup = tmp.cleanup;
    const root = path.join(tmp.dir, 'firmwares');
    // a new rollout starts whenever the last one is over, so every kill meets an active one
    const versions = Array.from({length: 12}, (_, i) => `${i + 2}.0.0`);
    for (const version of versions) placeFirmware(root, `relay-${version}.bin`, {name: 'relay', version, size: 160_000});
    placeFirmware(root, 'sensor-1.0.0.bin', {name: 'sensor', version: '1.0.0', size: 60_000});
    broker = await startMosquitto();
    const specs: DeviceSpec[] = [
      ...Array.from({length: ROLLOUT_DEVICES}, (_, i): DeviceSpec => ({id: `relay-${String(i + 1).padStart(3, '0')}`, generation: i % 6 === 5 ? 'v2' : 'v3', fw: 'relay@1.0.0'})),
      ...Array.from({length: TRAFFIC_DEVICES}, (_, i): DeviceSpec => ({id: `sensor-${String(i + 1).padStart(3, '0')}`, generation: i % 10 === 9 ? 'v2' : 'v3', fw: 'sensor@1.0.0'})),
    ];
    // a transfer takes a few seconds, so many kills land in the middle of one
    fleet = startFleet({url: broker.url, specs, flashSpeed: 50_000, rebootDelay: 800, statsInterval: 2});
    await fleet.waitAllAdvertised(60_000);
    const args = ['--mqtt', broker.url, '--firmware-dir', root, '--log-file', 'homie-ota.log', '--concurrency', '3'];

    let kills = 0;
    let rollouts = 0;
    let reconciledTotal = 0;
    let killedInTransfer = 0;
    const lifetimes: number[] = [];
    for (let round = 0; round <= KILLS; round++) {
      const before = readJobsFile(root);
      const inTransfer = new Set(before.filter(j => j.state === 'sending' || j.state === 'flashing').map(j => j.id));
      const started = Date.now();
      proc = await startHomieOta({cwd: tmp.dir, args, watch: [COMPLAINTS]});
      const first = await jobs(proc);
      // a job caught in a transfer is watched (rebooting, resumed), never put back into sending
      for (const job of first.filter(j => inTransfer.has(j.id))) {
        reconciledTotal++;
        expect(job.timeline.some(e => /restarted during the transfer/.test(e.note ?? '')), `${job.id} reconciled`).toBe(true);
        expect(sendings(job), `${job.id} sent again after the restart`).toBeLessThanOrEqual(1);
      }
      if (round === 0) await waitInventoryMatches(proc, fleet, 30_000);
      if (round < KILLS && first.every(j => FINAL.has(j.state))) {
        const version = versions[rollouts++]!;
        const created = await proc.api('/api/jobs', {method: 'POST', headers: {'content-type': 'application/json'},
          body: JSON.stringify({firmware: `relay@${version}`, from: 'relay', canary: false, maxFailures: 1000})});
        expect(created.status, JSON.stringify(created.body).slice(0, 300)).toBe(201);
        expect(created.body.jobs.length).toBeGreaterThan(0);
      }
      if (round === KILLS) break;
      await sleep(randomBetween(200, 4000));
      const now = await jobs(proc).catch(() => []);
      if (now.some(j => j.state === 'sending' || j.state === 'flashing')) killedInTransfer++;
      await proc.kill9();
      kills++;
      lifetimes.push(Date.now() - started);
      expect(proc.matches(), `complaints after start ${round}`).toEqual([]);
      expect(fs.readdirSync(root).filter(f => f.includes('.bad-'))).toEqual([]);
    }

    const live = proc!;
    const final = await waitJobsFinal(live, 6 * 60_000);
    await waitInventoryMatches(live, fleet, 60_000);
    expect(live.matches()).toEqual([]);
    const states = countStates(final);
    const started = fleet.devices.map(d => d.counters.otaStarted);
    report('kill -9', [
      `${kills} SIGKILLs (${killedInTransfer} during a transfer), homie-ota lived ${Math.min(...lifetimes)}–${Math.max(...lifetimes)} ms each`,
      `${TRAFFIC_DEVICES + ROLLOUT_DEVICES} devices, stats every 2 s; ${reconciledTotal} job reloads caught in a transfer, all reconciled`,
      `${rollouts} rollouts of ${ROLLOUT_DEVICES} devices; jobs: ${JSON.stringify(states)}`,
      ...final.filter(j => j.state === 'failed').map(j => `failed ${j.device}: ${j.error}`),
      `pushes received per device: max ${Math.max(...started)}, total ${started.reduce((a, b) => a + b, 0)} for ${final.length} jobs`,
      `inventory.json ${Math.round(fs.statSync(path.join(root, 'inventory.json')).size / 1024)} KiB, jobs.json ${Math.round(fs.statSync(path.join(root, 'jobs.json')).size / 1024)} KiB`,
    ]);
    expect(final.every(j => FINAL.has(j.state))).toBe(true);
    for (const job of final) {
      expect(sendings(job), `${job.id} timeline`).toBeLessThanOrEqual(1);
      if (job.state === 'failed') expect(job.error).toMatch(/[a-z]{3,} [a-z]{2,}/i);
    }
    // the verdicts are true: every device runs the version of its last done job (or the one it began with)
    for (const device of fleet.devices.filter(d => d.id.startsWith('relay-'))) {
      const lastDone = final.filter(j => j.deviceKey === device.key && j.state === 'done').sort((a, b) => Number(a.id.slice(2)) - Number(b.id.slice(2))).at(-1);
      expect(device.fw.version, device.id).toBe(lastDone?.firmware.version ?? '1.0.0');
    }
    // never re-sent blindly: each device received a push at most once per job it had
    for (const device of fleet.devices) {
      const own = final.filter(j => j.deviceKey === device.key).length;
      expect(device.counters.otaStarted, device.id).toBeLessThanOrEqual(own);
    }
    expect(await live.stop()).toEqual({code: 0, signal: null});
  });
});
