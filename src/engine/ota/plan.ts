import type {DeviceRecord} from '../inventory/inventory.js';
import type {FirmwareRecord} from '../firmware/store.js';
import {compareVersions} from '../util/version.js';
import type {DeliveryMethod} from './job.js';
import {pushTopic, TOPIC_LIMIT} from './push-status.js';
import {v1OtaPayload} from './v1-payload.js';

/** What can be done for one device with one firmware, decided before anything is sent. */
export type Plan =
  | {readonly kind: 'go'; readonly method: DeliveryMethod; readonly warnings: readonly string[]}
  | {readonly kind: 'skip'; readonly reason: string}
  | {readonly kind: 'refuse'; readonly reason: string};

const family = (chip: string | undefined): 'esp8266' | 'esp32' | undefined => {
  if (!chip) return undefined;
  const c = chip.toLowerCase();
  if (c.startsWith('esp8266')) return 'esp8266';
  if (c.startsWith('esp32')) return 'esp32';
  return undefined;
};

/** Homie 1.x: no $homie, but v1 attributes ($fwname / $online), or an explicit 1.x version. */
export function isHomie1(device: DeviceRecord): boolean {
  return device.homie.startsWith('1');
}

export function deliveryMethod(device: DeviceRecord): DeliveryMethod | {refuse: string} {
  if (isHomie1(device)) return 'v1-ota';
  if (device.homie.startsWith('5')) return {refuse: 'Homie 5 devices have no firmware update mechanism homie-ota can use'};
  if (device.otaEnabled === false) return {refuse: 'OTA is disabled on the device ($implementation/ota/enabled is false)'};
  if (device.otaEnabled === undefined) {
    return {refuse: 'the device does not announce homie-esp8266 OTA support ($implementation/ota/enabled is missing)'};
  }
  return 'mqtt-push';
}

/**
 * Decide how to update `device` to `firmware`, or why not. Refusals protect the device (wrong chip,
 * gzip over MQTT, a topic its MQTT client would drop); skips are "nothing to do".
 */
export interface PlanOptions {
  /**
   * May the device get a firmware with another name than the one it runs? Yes for a deliberate
   * one-device request (the original allowed swapping firmware); no for a batch, where one wrong pick
   * would put a light's firmware on every relay.
   */
  readonly allowNameChange?: boolean;
  /**
   * The device's retained attributes are still arriving (the first load after a start or reconnect):
   * what is missing may yet come, so a missing `$implementation/ota/enabled` or chip is not a refusal
   * now. The job runner plans again on the complete record before anything is sent.
   */
  readonly loading?: boolean;
}

/**
 * All that stands against a device is its missing `$implementation/ota/enabled` (a homie-esp8266 2.x/3.x
 * device announces it; while its attributes arrive, the announcement may yet come).
 */
export function awaitsAnnouncement(device: DeviceRecord): boolean {
  return device.otaEnabled === undefined && !isHomie1(device) && !device.homie.startsWith('5');
}

/** Why a plan made on a loading device may still change. */
export const STILL_LOADING = 'attributes still arriving from the broker: OTA support and chip are checked again before the update starts';

export function planUpdate(device: DeviceRecord, firmware: FirmwareRecord, options: PlanOptions = {}): Plan {
  if (device.fw.checksum && device.fw.checksum.toLowerCase() === firmware.md5) {
    return {kind: 'skip', reason: `already runs this image (MD5 ${firmware.md5.slice(0, 8)})`};
  }
  if (device.fw.name === firmware.name && device.fw.version !== undefined && compareVersions(device.fw.version, firmware.version) === 0) {
    return {kind: 'skip', reason: `already runs ${firmware.name} ${device.fw.version}`};
  }
  const warnings: string[] = [];
  let method = deliveryMethod(device);
  if (typeof method !== 'string') {
    if (!options.loading || !awaitsAnnouncement(device)) return {kind: 'refuse', reason: method.refuse};
    method = 'mqtt-push';
  }
  const deviceFamily = family(device.implementation) ?? (isHomie1(device) ? 'esp8266' : undefined);
  const imageFamily = family(firmware.chip);
  if (deviceFamily && imageFamily && deviceFamily !== imageFamily) {
    return {kind: 'refuse', reason: `${firmware.file} is an ${firmware.chip} image but the device is an ${device.implementation ?? deviceFamily}`};
  }
  if (options.loading && (awaitsAnnouncement(device) || !deviceFamily)) warnings.push(STILL_LOADING);
  if (!imageFamily) warnings.push(`the chip of ${firmware.file} is unknown`);
  if (!deviceFamily && !options.loading) warnings.push('the device does not say which chip it is');
  if (method === 'mqtt-push') {
    if (firmware.gzip) return {kind: 'refuse', reason: 'gzip-compressed images cannot be pushed over MQTT (homie-esp8266 rejects them); use the plain .bin'};
    const topic = pushTopic(device.prefix, device.id, firmware.md5);
    if (topic.length > TOPIC_LIMIT) {
      return {kind: 'refuse', reason: `the push topic would be ${topic.length} characters; the device's MQTT client drops topics over ${TOPIC_LIMIT} (shorten the base topic or device id)`};
    }
  } else {
    if (v1OtaPayload(firmware.name, firmware.version) === null) {
      return {kind: 'refuse', reason: `version "${firmware.version}" is too long for a Homie 1.x $ota message (16 characters with the name hash)`};
    }
    if (firmware.gzip) warnings.push('gzip image: the device must run firmware built with ESP8266 core 2.7.0 or newer');
  }
  if (device.fw.name && device.fw.name !== firmware.name) {
    if (options.allowNameChange === false) {
      return {kind: 'refuse', reason: `runs ${device.fw.name}, not ${firmware.name}: change a device's firmware one device at a time`};
    }
    warnings.push(`changes the firmware from ${device.fw.name} to ${firmware.name}`);
  }
  return {kind: 'go', method, warnings};
}
