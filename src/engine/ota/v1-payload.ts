import crypto from 'node:crypto';

/** Homie 1.x accepts an `$ota` payload of at most 16 characters (MAX_FIRMWARE_VERSION_LENGTH − 1). */
export const V1_OTA_MAX_LENGTH = 16;

/**
 * The original homie-ota's `$ota` payload: `<first hex digits of sha1(name)>@<version>`, so that a v1
 * device (which flashes whenever `$ota` differs from its version) can be sent a *different* firmware
 * name within 16 characters. When the device calls back, the `target` in its x-ESP8266-version header
 * is this string; `matchV1Payload` finds the firmware it names. Returns null when the version is too
 * long to leave room for at least 4 hex digits (the original produced an over-long payload then).
 */
export function v1OtaPayload(name: string, version: string): string | null {
  const room = V1_OTA_MAX_LENGTH - version.length - 1;
  if (room < 4) return null;
  const hash = crypto.createHash('sha1').update(name, 'utf8').digest('hex');
  return `${hash.slice(0, room)}@${version}`;
}

/** The firmware (from `candidates`) whose v1 payload equals `target`, if any. */
export function matchV1Payload<T extends {name: string; version: string}>(target: string, candidates: readonly T[]): T | undefined {
  return candidates.find(c => v1OtaPayload(c.name, c.version) === target);
}
