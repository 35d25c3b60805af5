import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {CliOverrides} from '../config/load.js';
import type {Engine} from '../engine/engine.js';
import {startFleet, type Fleet} from '../sim/index.js';
import {DEMO_LOST_DEVICE, DEMO_OTA_PLAN, demoSpecs, writeDemoFirmware} from './cast.js';

export interface Demo {
  readonly overrides: CliOverrides;
  /** the temporary folder: firmware, log file, settings; removed when the process exits */
  readonly dir: string;
  /** the OTA jobs the demo starts a few seconds in (one completes, one fails) */
  readonly otaPlan: typeof DEMO_OTA_PLAN;
  /** the simulated devices, once started */
  readonly fleet: Fleet | null;
  start(engine: Engine): Promise<void>;
  stop(): Promise<void>;
}

export const DEMO_DEFAULT_DEVICES = 12;
export const DEMO_MAX_DEVICES = 5000;
const DIR_PREFIX = 'homie-ota-demo-';

/** `--demo [N]`: parse N; null (with the reason on stderr, exit status 2) when it is not usable. */
export function parseDemoCount(count: string | undefined): number | string {
  if (count === undefined) return DEMO_DEFAULT_DEVICES;
  if (!/^\d+$/.test(count) || Number(count) < 1 || Number(count) > DEMO_MAX_DEVICES) {
    return `--demo ${count}: the number of simulated devices must be a whole number from 1 to ${DEMO_MAX_DEVICES} (default ${DEMO_DEFAULT_DEVICES})`;
  }
  return Number(count);
}

/** Remove demo folders left by demos that were killed (their pid file names a process that is gone). */
export function removeStaleDemoDirs(tmp = os.tmpdir()): void {
  let names: string[];
  try {
    names = fs.readdirSync(tmp).filter(n => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(tmp, name);
    try {
      const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
      if (pid > 0 && pid !== process.pid && !alive(pid)) fs.rmSync(dir, {recursive: true, force: true});
    } catch {
      // not ours, or already gone
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * `--demo [N]`: an embedded broker on a free port, HTTP on a free port (both on 127.0.0.1), N
 * simulated devices and a few demo firmware files — all in a temporary folder that is removed on
 * exit, never the user's firmware store or settings. Returns null (and explains) when it cannot run.
 */
export async function prepareDemo(count: string | undefined, options: {tmp?: string} = {}): Promise<Demo | null> {
  const devices = parseDemoCount(count);
  if (typeof devices === 'string') {
    process.stderr.write(`homie-ota: ${devices}\n`);
    process.exitCode = 2;
    return null;
  }
  const tmp = options.tmp ?? os.tmpdir();
  removeStaleDemoDirs(tmp);
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(tmp, DIR_PREFIX));
    fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
    writeDemoFirmware(path.join(dir, 'firmwares'));
  } catch (error) {
    process.stderr.write(`homie-ota: --demo cannot prepare its temporary folder in ${tmp}: ${(error as Error).message}; set TMPDIR to a writable folder\n`);
    process.exitCode = 1;
    return null;
  }
  const cleanup = () => fs.rmSync(dir, {recursive: true, force: true});
  process.once('exit', cleanup);

  const ini = writeDemoIni(dir);
  let fleet: Fleet | null = null;
  let stopped = false;
  return {
    dir,
    otaPlan: DEMO_OTA_PLAN,
    get fleet() {
      return fleet;
    },
    // forced over any flag: the demo never touches the user's store, log or broker
    overrides: {config: ini, mqtt: 'embedded', firmwareDir: path.join(dir, 'firmwares'), logFile: path.join(dir, 'homie-ota.log'), prefix: 'homie,devices', demo: true},
    async start(engine: Engine) {
      const port = engine.broker?.boundPort;
      if (!port) throw new Error('the demo needs the embedded broker');
      const simLog = engine.logger.child('sim');
      fleet = startFleet({
        url: `mqtt://127.0.0.1:${port}`,
        specs: demoSpecs(devices),
        otaHttpUrl: `http://127.0.0.1:${engine.http.boundPort}${engine.config.http.endpoint}`,
        flashSpeed: 40 * 1024,
        rebootDelay: 2500,
        statsInterval: 30,
        seed: 'homie-ota-demo',
        log: (device, text) => simLog.debug(`${device}: ${text}`),
      });
      const lost = fleet.device(DEMO_LOST_DEVICE);
      if (lost) {
        void lost.waitFor('advertised', undefined, 60_000).then(() => lost.later(8000, () => {
          simLog.debug(`${DEMO_LOST_DEVICE}: power cut (the broker publishes its will: lost)`);
          void lost.goOffline();
        }), () => {});
      }
      engine.notice('demo', 'info', `${devices} simulated devices on the embedded broker 127.0.0.1:${port}; demo firmware in ${path.join(dir, 'firmwares')}; all of it is removed when you quit`);
      const running = fleet;
      void running.waitAllAdvertised(60_000).then(() => afterAdvertised(engine, running, devices, lost?.id, () => stopped), () => {});
    },
    async stop() {
      stopped = true;
      await fleet?.stop();
    },
  };
}

/** Settings of its own, so a homie-ota.ini in the current folder (a real broker, a real store) is not read. */
function writeDemoIni(dir: string): string {
  const ini = path.join(dir, 'homie-ota.ini');
  fs.writeFileSync(ini, [
    '; written by homie-ota --demo; removed on exit',
    '[global]',
    'OTA_HOST = 127.0.0.1',
    'OTA_PORT = 0',
    '[mqtt]',
    'MQTT_HOST = embedded',
    'MQTT_BROKER_HOST = 127.0.0.1',
    'MQTT_BROKER_PORT = 0',
    '',
  ].join('\n'));
  return ini;
}

/** Once the devices are up (and after the firmware scan's own messages): say what to look for, start two updates. */
function afterAdvertised(engine: Engine, fleet: Fleet, devices: number, lost: string | undefined, stopped: () => boolean): void {
  setTimeout(() => {
    if (stopped()) return;
    const sleepy = fleet.devices.find(d => d.faults.sleepy)?.id;
    engine.notice('demo', 'info', `${devices} simulated devices are up${lost ? `; ${lost} loses power in a moment` : ''}${sleepy ? `, ${sleepy} sleeps between reports` : ''}`);
  }, 3000).unref();
  // two updates, one that completes and one that fails, so the Queue view has something to show
  setTimeout(() => {
    if (stopped()) return;
    const planned = DEMO_OTA_PLAN.filter(p => engine.inventory.get(p.device));
    const started = planned.flatMap(p => engine.ota.create({deviceKeys: [p.device], firmware: p.firmware}).jobs);
    if (started.length > 0) {
      // the key hint only where there is a dashboard to press it in
      const follow = engine.config.headless ? '' : '; press 3 for the Queue view';
      engine.notice('demo', 'info', `${started.length} update(s) started (${started.map(j => `${j.deviceId} → ${j.firmware.name} ${j.firmware.version}`).join(', ')})${follow}`);
    }
  }, 9000).unref();
}
