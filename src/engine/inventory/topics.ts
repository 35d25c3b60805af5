/**
 * Where a topic belongs: which configured prefix, which device, and the path below the device.
 * Parsing is relative to the prefix (multi-level prefixes such as `home/homie` work) and never by a
 * fixed index. Homie 5 lives under `<domain>/5/<id>`; every configured prefix is also a Homie 5 domain.
 * This runs for every message (hundreds of thousands at start), so it scans instead of splitting.
 */
import {MAX_ID_LENGTH, MAX_LEVEL_LENGTH, MAX_PATH_LEVELS} from './limits.js';

export interface TopicTarget {
  /** the configured prefix (Homie 5: the domain) */
  readonly prefix: string;
  readonly id: string;
  /** true for `<domain>/5/<id>/…` */
  readonly v5: boolean;
  /** the levels below the device joined by "/", e.g. "$fw/name" or "sensor/temperature" */
  readonly path: string;
  /**
   * deviceKey(prefix, id, v5), cut from the topic (no new string to hash for every message); it holds
   * the whole topic, so keep `deviceKey(…)` instead
   */
  readonly key: string;
}

/** The device key used everywhere: "<prefix>/<id>", Homie 5 "<domain>/5/<id>". It is also the topic base. */
export function deviceKey(prefix: string, id: string, v5: boolean): string {
  return v5 ? `${prefix}/5/${id}` : `${prefix}/${id}`;
}

/**
 * A device id must be non-empty, must not start with `$` ($broadcast and friends are not devices),
 * and must not be absurdly long. Other odd characters are allowed: homie-esp8266 does not check them.
 */
export function isDeviceId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_ID_LENGTH && id.charCodeAt(0) !== 36 /* $ */;
}

/**
 * A path below a device we keep: 1 to MAX_PATH_LEVELS non-empty levels of sane length. Firmware pushes
 * (`$implementation/ota/firmware/<md5>`) are never kept.
 */
export function isKeptPath(path: string): boolean {
  if (path.length === 0) return false;
  let levels = 1;
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path.charCodeAt(i) === 47) {
      const length = i - start;
      if (length === 0 || length > MAX_LEVEL_LENGTH) return false;
      if (i < path.length && ++levels > MAX_PATH_LEVELS) return false;
      start = i + 1;
    }
  }
  return !path.startsWith('$implementation/ota/firmware');
}

/**
 * The candidate readings of a topic, most likely first. A topic under `<P>/5/<x>/…` is normally a Homie 5
 * device `<x>`, but a Homie 3/4 device could have the id `5`; the caller picks using what it knows.
 * Returns an empty array for topics that are not under a prefix or name no device.
 */
export function parseTopic(topic: string, prefixes: readonly string[]): TopicTarget[] {
  for (const prefix of prefixes) {
    const n = prefix.length;
    if (topic.length <= n + 1 || topic.charCodeAt(n) !== 47 || !topic.startsWith(prefix)) continue;
    const idEnd = topic.indexOf('/', n + 1);
    if (idEnd < 0) return [];
    const first = topic.slice(n + 1, idEnd);
    const out: TopicTarget[] = [];
    if (first === '5') {
      const v5End = topic.indexOf('/', idEnd + 1);
      if (v5End > 0) {
        const id = topic.slice(idEnd + 1, v5End);
        if (isDeviceId(id)) out.push({prefix, id, v5: true, path: topic.slice(v5End + 1), key: topic.slice(0, v5End)});
      }
    }
    if (isDeviceId(first)) out.push({prefix, id: first, v5: false, path: topic.slice(idEnd + 1), key: topic.slice(0, idEnd)});
    return out;
  }
  return [];
}

/** Prefixes longest first, so `home/homie` wins over `home` for `home/homie/x/$state`. */
export function orderPrefixes(prefixes: readonly string[]): string[] {
  return [...new Set(prefixes.map(p => p.replace(/\/+$/, '')).filter(p => p.length > 0))].sort((a, b) => b.length - a.length);
}

/** Discovery filters for one prefix: one device-level attribute per filter, so each matches ≤ 1 retained message per device. */
export function discoveryFilters(prefix: string): string[] {
  return [`${prefix}/+/$state`, `${prefix}/+/$online`, `${prefix}/+/$homie`, `${prefix}/5/+/$state`];
}

/**
 * What identifies a device for an update, for every device at once (firmware name and version, IP,
 * nodes; a Homie 5 description): one attribute per filter, so each matches at most one retained message
 * per device, like the discovery filters. Loaded right after discovery, so a large fleet's list is
 * complete long before every device's own subscription has delivered the rest.
 */
export function rowFilters(prefix: string): string[] {
  const device = ['$fw/name', '$fw/version', '$localip', '$nodes', '$fwname', '$fwversion'];
  return [...device.map(path => `${prefix}/+/${path}`), `${prefix}/5/+/$description`];
}

/**
 * Then the rest a row and a node show (name, signal, uptime, each node's properties), the same way
 * (`$properties`: at most one message per node). Second, because they change all the time or only
 * matter in a device's detail: the firmware of every device is known about 40 % sooner.
 */
export function detailFilters(prefix: string): string[] {
  const device = ['$name', '$stats/signal', '$stats/uptime', '$signal', '$uptime'];
  return [...device.map(path => `${prefix}/+/${path}`), `${prefix}/+/+/$properties`];
}

/**
 * Per-device filters: three levels below the device and no `#`, so firmware pushes on
 * `…/$implementation/ota/firmware/<md5>` (hundreds of KB) never echo back to us.
 */
export function deviceFilters(base: string): string[] {
  return [`${base}/+`, `${base}/+/+`, `${base}/+/+/+`];
}

/** Attributes whose arrival proves a device exists (what the discovery filters deliver). */
export function isDiscoveryPath(path: string, v5: boolean): boolean {
  return v5 ? path === '$state' || path === '$description' : path === '$state' || path === '$online' || path === '$homie';
}

/** MQTT topic names may not hold wildcards or NUL; a device with such an id cannot be subscribed to. */
export function canSubscribe(base: string): boolean {
  return !/[+#\u0000]/.test(base) && Buffer.byteLength(base) < 65000;
}
