import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {startFleet, type DeviceSpec, type Fleet} from '../../../src/sim/index.js';
import {startHomieOta, type HomieOtaProcess} from '../../helpers/homie-ota-process.js';
import {runMosquittoTests, startMosquitto, type Mosquitto} from '../../helpers/mosquitto.js';
import {countStates, jobs, placeFirmware, randomBetween, report, stopParts, waitInventoryMatches, waitJobsFinal} from '../../helpers/reliability.js';
import {tempDir} from '../../helpers/tmp.js';
import {sleep} from '../../helpers/wait-for.js';

/**
 * The broker dies (SIGKILL, no persistence: every retained message is gone) and comes back ten times
 * while homie-ota — the built CLI, headless — runs a 20-device rollout. The simulated devices reconnect
 * by themselves and advertise again. Afterwards homie-ota must still run and exit 0 on SIGTERM, every
 * job must have ended done or failed with a reason in words, and the inventory must show every device
 * with the firmware it really runs.
 */
const RESTARTS = 10;
const DEVICES = 20;

let broker: Mosquitto | null = null;
let fleet: Fleet | null = null;
let proc: HomieOtaProcess | null = null;
let cleanup: (() => void) | null = null;

afterEach(async () => {
  await stopParts({fleet, proc, broker, cleanup});
  fleet = proc = broker = cleanup = null;
});

describe.runIf(runMosquittoTests)('mosquitto killed and restarted during a rollout', () => {
  it(`survives ${RESTARTS} broker deaths: every job ends with a verdict, the inventory is true`, async () => {
    const tmp = tempDir('homie-ota-broker-');
    cleanup = tmp.cleanup;
    const root = path.join(tmp.dir, 'firmwares');
    placeFirmware(root, 'relay-2.0.0.bin', {name: 'relay', version: '2.0.0', size: 120_000});
    broker = await startMosquitto();
    proc = await startHomieOta({cwd: tmp.dir, args: ['--mqtt', broker.url, '--firmware-dir', root, '--log-file', 'homie-ota.log', '--concurrency', '3'],
      watch: [/unexpected error|unhandled rejection|could not be loaded/i]});
    const specs: DeviceSpec[] = Array.from({length: DEVICES}, (_, i) => ({
      id: `relay-${String(i + 1).padStart(2, '0')}`,
      generation: i % 5 === 4 ? 'v2' : 'v3',
      fw: 'relay@1.0.0',
    }));
    // slow enough that the broker dies in the middle of transfers, fast enough to finish in minutes
    fleet = startFleet({url: broker.url, specs, flashSpeed: 60_000, rebootDelay: 500, statsInterval: 5});
    await fleet.waitAllAdvertised(20_000);
    await waitInventoryMatches(proc, fleet, 20_000);

    const created = await proc.api('/api/jobs', {method: 'POST', headers: {'content-type': 'application/json'},
      body: JSON.stringify({firmware: 'relay@2.0.0', from: 'relay', canary: false, maxFailures: 100})});
    expect(created.status).toBe(201);
    expect(created.body.jobs).toHaveLength(DEVICES);

    const started = Date.now();
    const outages: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      await sleep(randomBetween(1500, 4000));
      await broker.stop(true);
      const down = randomBetween(300, 2500);
      outages.push(Math.round(down));
      await sleep(down);
      await broker.restart();
    }
    const killsDone = Date.now();
    const final = await waitJobsFinal(proc, 8 * 60_000);
    const settled = Date.now();
    await waitInventoryMatches(proc, fleet, 60_000);

    expect(proc.running()).toBe(true);
    const states = countStates(final);
    const failed = final.filter(j => j.state === 'failed');
    report('broker restarts', [
      `${RESTARTS} broker kills (SIGKILL) within ${Math.round((killsDone - started) / 1000)} s, outages ${outages.join(', ')} ms`,
      `jobs: ${JSON.stringify(states)}; all final ${Math.round((settled - started) / 1000)} s after the rollout began`,
      ...failed.map(j => `failed ${j.device}: ${j.error}`),
      `fleet: ${JSON.stringify(fleet.summary().states)}, OTA flashed ${fleet.summary().otaFlashed}, failed ${fleet.summary().otaFailed}`,
      `homie-ota RSS ${proc.rssMb()} MB`,
    ]);
    expect(final).toHaveLength(DEVICES);
    for (const job of final) {
      expect(['done', 'failed'], `${job.id} ${job.device}`).toContain(job.state);
      if (job.state === 'failed') expect(job.error, job.id).toMatch(/[a-z]{3,} [a-z]{2,}/i);
    }
    // the verdicts are true: a done job's device runs the target, a failed job's device does not
    for (const job of final) {
      const device = fleet.device(job.deviceKey)!;
      if (job.state === 'done') expect(device.fw.version, job.device).toBe('2.0.0');
      if (job.state === 'failed') {
        expect(device.fw.version, job.device).toBe('1.0.0');
        // the reason says what happened: the connection broke, not a vague stall
        expect(job.error, job.device).toMatch(/broker|went offline/);
      }
    }
    expect((await jobs(proc)).length).toBe(DEVICES);
    expect(proc.matches()).toEqual([]);
    const health = await proc.api('/healthz');
    expect(health.body.mqtt.state).toBe('connected');
    await fleet.stop();
    fleet = null;
    const exit = await proc.stop();
    expect(exit).toEqual({code: 0, signal: null});
  });
});
