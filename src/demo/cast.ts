import fs from 'node:fs';
import path from 'node:path';
import {buildFirmwareImage} from '../sim/build-image.js';
import type {Chip} from '../engine/firmware/image-format.js';
import {SIM_IMAGE_SIZE, spreadGenerations, type DeviceSpec} from '../sim/index.js';

/**
 * The demo's devices and firmware: a household of twelve devices, one of each kind a newcomer
 * should see (every generation, ESP32, an update available, up to date, OTA disabled, asleep,
 * lost, a device whose next OTA fails), and the firmware files that go with them.
 */
export interface DemoFirmware {
  readonly name: string;
  readonly version: string;
  readonly chip: Chip;
  readonly description: string;
}

export const DEMO_FIRMWARE: readonly DemoFirmware[] = [
  {name: 'demo-light', version: '1.0.0', chip: 'esp8266', description: 'Demo light, first release.'},
  {name: 'demo-light', version: '1.1.0', chip: 'esp8266', description: 'Demo light: smoother dimming, faster reconnect.'},
  {name: 'demo-sensor', version: '2.3.0', chip: 'esp8266', description: 'Demo temperature sensor.'},
  {name: 'demo-door', version: '1.0.0', chip: 'esp32', description: 'Demo garage door controller (ESP32).'},
  {name: 'demo-door', version: '1.2.0', chip: 'esp32', description: 'Demo garage door: obstacle detection.'},
  {name: 'demo-relay', version: '3.1.0', chip: 'esp8266', description: 'Demo relay.'},
  {name: 'demo-relay', version: '3.2.0', chip: 'esp8266', description: 'Demo relay: power-on state setting.'},
  {name: 'demo-doorbell', version: '1.6.0', chip: 'esp8266', description: 'Demo doorbell for Homie 1.x (HTTP update).'},
];

/** The cast, in order; `--demo N` takes the first N and adds generated devices after twelve. */
export const DEMO_CAST: readonly DeviceSpec[] = [
  {id: 'kitchen-light', name: 'Kitchen light', generation: 'v3', fw: 'demo-light@1.0.0'},
  {id: 'hall-sensor', name: 'Hall sensor', generation: 'v3', fw: 'demo-sensor@2.3.0'},
  {id: 'garage-door', name: 'Garage door', generation: 'v3', chip: 'esp32', fw: 'demo-door@1.0.0'},
  // the demo's failing OTA: its flash write breaks at 60 % (500 FLASH_ERROR)
  {id: 'boiler-relay', name: 'Boiler relay', generation: 'v3', fw: 'demo-relay@3.1.0', faults: {flashErrorAt: 60}},
  {id: 'cellar-meter', name: 'Cellar meter', generation: 'v3', fw: 'demo-sensor@2.3.0', faults: {otaDisabled: true}},
  {id: 'garden-probe', name: 'Garden probe', generation: 'v3', fw: 'demo-sensor@2.2.0', faults: {sleepy: {sleepSeconds: 45, awakeSeconds: 8}}},
  {id: 'shed-sensor', name: 'Shed sensor', generation: 'v3', fw: 'demo-sensor@2.2.0'}, // goes lost shortly after start
  {id: 'office-plug', name: 'Office plug', generation: 'v2', fw: 'demo-relay@3.0.0'},
  {id: 'attic-fan', name: 'Attic fan', generation: 'v2.3', fw: 'demo-relay@3.1.0'},
  {id: 'old-doorbell', name: 'Old doorbell', generation: 'v1', fw: 'demo-doorbell@1.5.0'},
  {id: 'study-lamp', name: 'Study lamp', generation: 'homie4', chip: 'esp32', fw: 'demo-light@1.0.0'},
  {id: 'living-thermostat', name: 'Living room thermostat', generation: 'homie5', chip: 'esp32'},
];

/** The device that drops off the network (power cut) a few seconds into the demo. */
export const DEMO_LOST_DEVICE = 'shed-sensor';

/**
 * The two OTA jobs the demo starts a few seconds in (demo.ts): one that completes with live progress
 * and one that fails.
 */
export const DEMO_OTA_PLAN = [
  {device: 'homie/kitchen-light', firmware: {name: 'demo-light', version: '1.1.0'}, outcome: 'completes: 202, 206 progress, 200, reboot, back on 1.1.0'},
  {device: 'homie/boiler-relay', firmware: {name: 'demo-relay', version: '3.2.0'}, outcome: 'fails at 60 %: 500 FLASH_ERROR, stays on 3.1.0'},
] as const;

export function demoSpecs(count: number): DeviceSpec[] {
  const specs = DEMO_CAST.slice(0, count);
  const extra = count - specs.length;
  if (extra > 0) {
    const fwFor: Record<string, string> = {v1: 'demo-doorbell@1.5.0', v2: 'demo-relay@3.1.0', v3: 'demo-light@1.0.0'};
    spreadGenerations(extra, [['v3', 80], ['v2', 15], ['v1', 5]]).forEach((generation, i) => {
      specs.push({id: `demo-${String(i + DEMO_CAST.length + 1).padStart(4, '0')}`, generation, fw: fwFor[generation] ?? 'demo-light@1.0.0'});
    });
  }
  return specs;
}

/** Write the demo firmware files (and descriptions) as the firmware store expects them: <name>-<version>.bin. */
export function writeDemoFirmware(dir: string): void {
  fs.mkdirSync(dir, {recursive: true});
  for (const fw of DEMO_FIRMWARE) {
    // built exactly like the image a simulated device "runs", so $fw/checksum matches the file
    const image = buildFirmwareImage({chip: fw.chip, name: fw.name, version: fw.version, size: SIM_IMAGE_SIZE});
    fs.writeFileSync(path.join(dir, `${fw.name}-${fw.version}.bin`), image);
    fs.writeFileSync(path.join(dir, `${fw.name}-${fw.version}.txt`), `${fw.description}\n`);
  }
}
