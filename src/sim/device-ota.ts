import type {DeviceHandle} from './device-handle.js';
import type {FirmwareInfo} from './device-types.js';
import {describeFaults} from './faults.js';
import {httpUpdateCheck} from './http-update.js';
import {md5} from './identity.js';
import {scanImage} from './markers.js';
import type {Message} from './mqtt/session.js';
import {receivePush} from './ota-push.js';

/**
 * What a device does around an OTA: the MQTT push of homie-esp8266 v2/v3, the `$ota` + HTTP pull of
 * Homie 1.x, and the reboot afterwards — including the faults that make it go wrong.
 */
const FLASH_MODES = {qio: 0, qout: 1, dio: 2, dout: 3} as const;

/** The Wi-Fi/MQTT reconnect after a connection lost mid-transfer. */
const RECONNECT_AFTER_DROP_MS = 1500;

export async function handlePush(device: DeviceHandle, md5Level: string, message: Message, epoch: number): Promise<void> {
  const faults = device.faults;
  const wasReady = device.state === 'ready';
  device.setState('flashing');
  device.counters.otaStarted++;
  const outcome = await receivePush({
    otaEnabled: device.otaEnabled,
    runningMd5: device.fw.checksum,
    freeSpace: device.freeSpace,
    chip: device.family,
    variant: device.chip,
    flashBytes: 4 * 1024 * 1024,
    chunkSize: device.env.chunkSize,
    progressEvery: device.spec.progressEvery ?? 1,
    bytesPerSecond: Math.min(device.env.flashSpeed, faults.slowLink ?? Infinity),
    md5CaseSensitive: device.spec.md5CaseSensitive ?? false,
    flashErrorAt: faults.flashErrorAt,
    dropAt: faults.dropAt,
    stallAt: faults.stallAt,
    publishStatus: payload => device.publishStatus(payload, epoch),
    cancelled: () => device.epoch !== epoch,
  }, md5Level, message.payload, message.total);
  if (device.epoch !== epoch) return;
  switch (outcome.kind) {
    case 'flashed':
      device.counters.otaFlashed++;
      device.note(`OTA flashed ${outcome.image.length} bytes (md5 ${outcome.md5}); rebooting`);
      // _flaggedForReboot: ESP.restart() once the sketch is idle, right after the 200 went out
      device.later(100, () => rebootInto(device, outcome.image, undefined), epoch);
      return;
    case 'dropped':
      device.counters.otaFailed++;
      device.note(`fault: connection lost at ${outcome.percent} % of the transfer`);
      device.leave().drop();
      device.setState('connecting');
      device.later(RECONNECT_AFTER_DROP_MS, () => device.reconnect());
      return;
    case 'stalled':
      device.counters.otaFailed++;
      device.note(`fault: silent at ${outcome.percent} % of the transfer (still connected)`);
      device.setState('stalled');
      return;
    case 'failed':
      device.counters.otaFailed++;
      device.note(`OTA failed: ${outcome.status}`);
      break;
    case 'refused':
      device.note(`OTA refused: ${outcome.status}`);
      break;
    default:
  }
  if (device.state === 'flashing') device.setState(wasReady ? 'ready' : device.state);
}

/**
 * Reboot after a successful flash and come back as the new firmware — unless a fault or the image
 * says otherwise. `pullTarget` is the `$ota` version a Homie 1.x device asked for.
 */
export function rebootInto(device: DeviceHandle, flashed: Buffer, pullTarget: string | undefined): void {
  const old = device.fw;
  const oldImage = device.image;
  const faults = device.faults;
  const facts = scanImage(flashed);
  device.restart('firmware updated', () => {
    if (faults.neverBack) {
      device.note('fault: never comes back after the update');
      device.setState('dead');
      return 'stay-down';
    }
    if (device.family === 'esp8266' && facts.chip !== 'esp8266' && !facts.gzip) {
      device.note(`flashed an image for ${facts.chip}: it does not boot (boot loop)`);
      device.setState('dead');
      return 'stay-down';
    }
    const name = facts.name ?? (pullTarget !== undefined ? old.name : undefined);
    const version = facts.version ?? pullTarget;
    if (!name || !version) {
      device.note('the new image has no Homie firmware markers: it boots as something that is not a Homie device');
      device.setState('dead');
      return 'stay-down';
    }
    if (faults.rollback === true) {
      device.note('fault: the new firmware fails to start; the bootloader rolls back');
      return;
    }
    const image = inFlash(device, flashed);
    device.image = image;
    device.fw = {name, version, checksum: md5(image)};
    if (typeof faults.rollback === 'number') {
      const seconds = faults.rollback;
      device.once('rebooted', () => device.later(seconds * 1000, () => device.restart('fault: rollback to the previous firmware', () => {
        device.image = oldImage;
        device.fw = old;
      })));
    }
  });
}

/** ESP8266 cores since 2.4.2 rewrite the flash-mode byte with the chip's mode: the MD5 in flash differs then. */
function inFlash(device: DeviceHandle, image: Buffer): Buffer {
  if (device.family !== 'esp8266' || image[0] !== 0xe9) return image;
  const mode = FLASH_MODES[device.spec.flashMode ?? 'dio'];
  if (image[2] === mode) return image;
  const copy = Buffer.from(image);
  copy[2] = mode;
  return copy;
}

/**
 * Homie 1.x `$ota`: a different version (plain string inequality) of at most 16 characters flags
 * the device; it reboots into OTA mode, pulls over HTTP as ESP8266httpUpdate, and reboots into
 * normal mode whatever the result. No status is ever published; only the new `$fwversion` tells.
 */
export function handlePull(device: DeviceHandle, target: string): void {
  if (target === device.fw.version) return;
  if (Buffer.byteLength(target) + 1 > 17) {
    device.note(`$ota "${target}": version string received is too long`);
    return;
  }
  device.note(`$ota ${target}: rebooting into OTA mode`);
  const old = device.fw;
  device.restart(`OTA to ${target}`, () => {
    device.setState('ota-mode');
    void pull(device, old, target);
    return 'stay-down';
  });
}

async function pull(device: DeviceHandle, old: FirmwareInfo, target: string): Promise<void> {
  const epoch = device.epoch;
  const faults = device.faults;
  const result = await httpUpdateCheck(device.env.otaHttpUrl, {
    chip: 'esp8266',
    core: device.spec.core ?? '2.3.0',
    staMac: device.identity.mac,
    apMac: device.identity.apMac,
    freeSpace: device.freeSpace,
    sketchSize: device.image.length,
    sketchMd5: old.checksum,
    chipSize: 4 * 1024 * 1024,
    chipId: device.identity.chipId,
    currentVersion: `${device.id}=${old.name}=${old.version}=${target}`,
    bytesPerSecond: Math.min(device.env.flashSpeed, faults.slowLink ?? Infinity),
    flashErrorAt: faults.flashErrorAt,
  });
  if (device.epoch !== epoch || device.state !== 'ota-mode') return;
  device.lastPull = result;
  device.emit('pull', result);
  device.note(`HTTP pull: ${result.result}${result.result === 'failed' ? ` (${result.status} ${result.error})` : ''}${describeFaults(faults) ? ` [${describeFaults(faults)}]` : ''}`);
  if (result.result === 'ok') {
    device.counters.otaFlashed++;
    rebootInto(device, result.image, target);
  } else {
    if (result.result === 'failed') device.counters.otaFailed++;
    // whatever the result, the device clears OTA mode and reboots into normal mode
    device.restart(`OTA mode ended (${result.result})`, () => {});
  }
}
