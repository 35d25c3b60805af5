import fs from 'node:fs';
import path from 'node:path';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import type {Chip} from '../../src/engine/firmware/image-format.js';
import {deviceTopics, RawPublisher, type DeviceOptions, type Generation} from './homie-publisher.js';
import {freePort} from './ports.js';
import {spawnCli, type PtyApp} from './pty.js';
import {tempDir} from './tmp.js';
import {sleep, waitFor} from './wait-for.js';

/**
 * The built dashboard in a real terminal over a fleet that holds still: retained Homie devices (no
 * live messages, nothing that ticks) and a firmware folder, so two runs fed the same keys can be
 * compared screen for screen. Each world has its own embedded broker, HTTP port and folder.
 */
export const WORLD_DEVICES: ReadonlyArray<{id: string; generation: Generation; options?: DeviceOptions}> = [
  {id: 'attic-fan', generation: 'v3', options: {fw: 'relay-board', version: '1.0.0', name: 'Attic fan'}},
  {id: 'boiler', generation: 'v3', options: {fw: 'relay-board', version: '1.0.0', name: 'Boiler'}},
  {id: 'cellar', generation: 'v3', options: {fw: 'fleet-sensor', version: '2.0.0', name: 'Cellar'}},
  {id: 'doorbell', generation: 'v1', options: {fw: 'bell', version: '1.0.0', name: 'Doorbell'}},
  {id: 'garage', generation: 'v2', options: {fw: 'relay-board', version: '1.1.0', name: 'Garage'}},
  {id: 'garden', generation: 'v3', options: {fw: 'fleet-sensor', version: '1.9.0', name: 'Garden', state: 'lost'}},
  {id: 'hall', generation: 'v3', options: {fw: 'fleet-sensor', version: '2.0.0', name: 'Hall'}},
  {id: 'kitchen', generation: 'v3', options: {fw: 'relay-board', version: '1.0.0', name: 'Kitchen'}},
  {id: 'office', generation: 'v4', options: {fw: 'lamp', version: '0.9.0', name: 'Office'}},
  {id: 'porch', generation: 'v3', options: {fw: 'relay-board', version: '1.0.0', name: 'Porch'}},
  {id: 'shed', generation: 'v3', options: {fw: 'fleet-sensor', version: '1.9.0', name: 'Shed'}},
  {id: 'thermostat', generation: 'v5', options: {name: 'Thermostat'}},
];

export const WORLD_FIRMWARE: ReadonlyArray<{name: string; version: string; chip: Chip; description: string}> = [
  {name: 'relay-board', version: '1.1.0', chip: 'esp8266', description: 'Relay board: debounced inputs.'},
  {name: 'relay-board', version: '1.2.0', chip: 'esp8266', description: 'Relay board: power-on state.'},
  {name: 'fleet-sensor', version: '2.0.0', chip: 'esp8266', description: 'Sensor: steadier readings.'},
  {name: 'lamp', version: '1.0.0', chip: 'esp32', description: 'Lamp for ESP32.'},
  {name: 'cam', version: '3.0.0', chip: 'esp32', description: 'Camera.'},
];

export interface KeyWorld {
  readonly app: PtyApp;
  readonly httpPort: number;
  /** GET a JSON route of its HTTP API */
  api(pathname: string): Promise<any>;
  /** write one key and wait until the dashboard has drawn what it did (nothing more for `quietMs`) */
  type(key: string, quietMs?: number): Promise<void>;
  /** wait until nothing has been drawn for `quietMs` */
  settle(quietMs?: number): Promise<void>;
  /** the screen with what differs between two worlds (their ports) masked */
  screen(): string;
  close(): Promise<void>;
}

export async function startKeyWorld(size: {cols: number; rows: number}): Promise<KeyWorld> {
  const {dir, cleanup} = tempDir();
  const firmwareDir = path.join(dir, 'firmwares');
  fs.mkdirSync(firmwareDir);
  // written a minute ago: files in place at start, not copies still arriving (those are filed later)
  const past = new Date(Date.now() - 60_000);
  for (const fw of WORLD_FIRMWARE) {
    for (const [file, data] of [[`${fw.name}-${fw.version}.bin`, buildFirmwareImage({chip: fw.chip, name: fw.name, version: fw.version, size: 64 * 1024})], [`${fw.name}-${fw.version}.txt`, `${fw.description}\n`]] as const) {
      fs.writeFileSync(path.join(firmwareDir, file), data);
      fs.utimesSync(path.join(firmwareDir, file), past, past);
    }
  }
  const brokerPort = await freePort();
  const httpPort = await freePort();
  const app = spawnCli(['--broker-port', String(brokerPort), '--http-host', '127.0.0.1', '--http-port', String(httpPort), '--firmware-dir', firmwareDir],
    {cwd: dir, cols: size.cols, rows: size.rows});
  const api = async (pathname: string): Promise<any> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${pathname}`, {headers: {accept: 'application/json'}, signal: AbortSignal.timeout(5000)});
    return res.json();
  };
  const close = async () => {
    app.kill('SIGKILL');
    await app.exitCode;
    cleanup();
  };
  try {
    await app.waitForText(/MQTT ● connected/, 15_000);
    const publisher = await RawPublisher.connect(brokerPort);
    for (const device of WORLD_DEVICES) {
      for (const [topic, payload] of deviceTopics(device.generation, 'homie', device.id, device.options)) await publisher.publish(topic, payload);
    }
    await publisher.close();
    // every device whole (a key pressed on a half-known device would meet other choices)
    await waitFor(async () => {
      const devices = await api('/api/devices');
      return devices.length === WORLD_DEVICES.length && devices.every((d: any) => d.name && (d.homie.startsWith('5') || (d.fw?.version && d.signal !== undefined)));
    }, 'every device of the world to be known', 10_000, 50);
    await app.waitForText(`Firmware ${WORLD_FIRMWARE.length}`, 10_000);
  } catch (error) {
    await close();
    throw error;
  }
  const settle = async (quietMs = 150) => {
    let seen = app.output().length;
    let since = Date.now();
    await waitFor(() => {
      const now = app.output().length;
      if (now !== seen) {
        seen = now;
        since = Date.now();
      }
      return Date.now() - since >= quietMs;
    }, `the screen to hold still for ${quietMs} ms`, 15_000, 10);
  };
  const world: KeyWorld = {
    app,
    httpPort,
    api,
    settle,
    async type(key, quietMs = 30) {
      const before = app.output().length;
      app.press(key);
      // a key that draws nothing (j on the last row) is done once nothing came for a while
      await waitFor(() => app.output().length !== before, 'a frame', 300, 5).catch(() => {});
      await settle(quietMs);
    },
    screen: () => app.styledScreen()
      .join('\n')
      // each world has its own folder (the Firmware view shows it, cut at 80 columns)
      .replace(/homie-ota-test-[A-Za-z0-9]{0,6}/g, '<folder>')
      // their ports (cut short where the header is cut)
      .replace(/(127\.0\.0\.1:|embedded :)\d+/g, '$1<port>')
      .replace(/\b\d\d:\d\d(:\d\d)?\b/g, '<time>')
      // how many log lines (start-up messages come as they come), and the rule after it
      .replace(/ Log \d+ .*/, ' Log <n>'),
    close,
  };
  await settle();
  return world;
}

export {sleep};
