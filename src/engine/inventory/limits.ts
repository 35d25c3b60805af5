/**
 * Bounds on what one device (or a hostile publisher) can make us keep. A value beyond its limit is
 * kept cut short and marked, so the user still sees that something large arrived.
 */

/** device ids longer than this are not devices (homie-esp8266 allows 32) */
export const MAX_ID_LENGTH = 128;

/** retained topics kept per device (a homie-esp8266 device has about 30) */
export const MAX_TOPICS_PER_DEVICE = 400;

/**
 * Attributes kept even past MAX_TOPICS_PER_DEVICE: what the state, the firmware, OTA and the
 * inventory's columns are read from. A device (or someone publishing under it) that fills its
 * topics with junk first must not hide its $state or $fw/version (a fixed, small set: the bound holds).
 */
export const ALWAYS_KEPT: ReadonlySet<string> = new Set([
  '$state', '$online', '$homie', '$name', '$nodes', '$description', '$extensions',
  '$fw/name', '$fw/version', '$fw/checksum', '$fwname', '$fwversion',
  '$implementation', '$implementation/version', '$implementation/ota/enabled', '$implementation/ota/status',
  '$localip', '$mac', '$stats/interval',
]);

/** devices kept in total; beyond it new devices are refused with a warning */
export const MAX_DEVICES = 100_000;

/** characters kept of one value */
export const MAX_VALUE_LENGTH = 1024;

/** `$description` (Homie 5 JSON) and `$implementation/config` may be larger */
export const MAX_DOCUMENT_LENGTH = 64 * 1024;

/** levels below a device we store (the per-device subscriptions deliver at most 3) */
export const MAX_PATH_LEVELS = 4;

/** characters of one path level (node or property id) */
export const MAX_LEVEL_LENGTH = 64;

/** shown after a cut value */
export const CUT_MARK = '…[cut]';

export function valueLimit(path: string): number {
  return path === '$description' || path === '$implementation/config' ? MAX_DOCUMENT_LENGTH : MAX_VALUE_LENGTH;
}
