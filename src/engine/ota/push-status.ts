/**
 * The status a homie-esp8266 device publishes on `$implementation/ota/status` during an MQTT push
 * (protocols.md §2.3): a code, optionally a space and a reason.
 */
export type PushStatus =
  | {readonly code: 202}
  | {readonly code: 206; readonly done: number; readonly total: number}
  | {readonly code: 200}
  | {readonly code: 304}
  | {readonly code: 403}
  | {readonly code: 400 | 500; readonly reason: string}
  | {readonly code: number; readonly reason: string};

export function parsePushStatus(payload: string): PushStatus | null {
  const m = /^\s*(\d{3})(?:\s+(.*?))?\s*$/.exec(payload.slice(0, 200));
  if (!m) return null;
  const code = Number(m[1]);
  const rest = m[2] ?? '';
  if (code === 206) {
    const p = /^(\d+)\/(\d+)$/.exec(rest);
    if (!p) return null;
    const done = Number(p[1]);
    const total = Number(p[2]);
    if (total <= 0 || done > total) return null;
    return {code: 206, done, total};
  }
  if (code === 200 || code === 202 || code === 304 || code === 403) return {code} as PushStatus;
  return {code, reason: rest};
}

/** Updater error numbers of the ESP8266 core (cores/esp8266/Updater.h). */
const UPDATER_ERRORS: Record<string, string> = {
  1: 'WRITE', 2: 'ERASE', 3: 'READ', 4: 'SPACE', 5: 'SIZE', 6: 'STREAM (the transfer stopped)', 7: 'MD5', 8: 'FLASH_CONFIG',
  9: 'NEW_FLASH_CONFIG (image for a bigger flash)', 10: 'MAGIC_BYTE', 11: 'BOOTSTRAP', 12: 'SIGN',
};

/** What a failing status means, in words a user can act on. */
export function explainPushStatus(status: PushStatus): string {
  const reason = 'reason' in status ? status.reason : '';
  switch (status.code) {
    case 304: return 'the device already runs this image (same MD5)';
    case 403: return 'OTA is disabled on the device (403): enable ota.enabled in its configuration';
    case 400:
      if (/NOT_ENOUGH_SPACE/.test(reason)) return 'the image does not fit the free sketch space of the device (400 NOT_ENOUGH_SPACE)';
      if (/BAD_CHECKSUM/.test(reason)) return 'the received image did not match its MD5, or (on ESP32) is not a valid image (400 BAD_CHECKSUM)';
      if (/BAD_FIRMWARE/.test(reason)) return 'the device refused the image (400 BAD_FIRMWARE): wrong chip, made for a bigger flash, or damaged in transfer';
      if (/NOT_REQUESTED/.test(reason)) return 'the device runs a homie-esp8266 2.0 beta with an older OTA protocol (400 NOT_REQUESTED)';
      return `the device refused the image (400 ${reason || 'no reason given'})`;
    case 500: {
      if (/FLASH_ERROR/.test(reason)) return 'writing the flash failed on the device (500 FLASH_ERROR)';
      const n = /INTERNAL_ERROR\s+(\d+)/.exec(reason)?.[1];
      if (n) return `the device's updater failed with error ${n}${UPDATER_ERRORS[n] ? ` ${UPDATER_ERRORS[n]}` : ''} (500 INTERNAL_ERROR)`;
      return `the device reported an internal error (500 ${reason})`;
    }
    default: return `the device answered ${status.code} ${reason}`.trim();
  }
}

/**
 * homie-esp8266's MQTT client drops any message whose topic is longer than 128 characters, silently
 * (protocols.md §2.3). Returns the topic length, to compare with TOPIC_LIMIT.
 */
export const TOPIC_LIMIT = 128;

export function pushTopic(prefix: string, deviceId: string, md5: string): string {
  return `${prefix}/${deviceId}/$implementation/ota/firmware/${md5}`;
}
