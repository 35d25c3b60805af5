import type {DeviceRecord} from '../inventory/inventory.js';
import {compareVersions} from '../util/version.js';
import type {PolicySettings} from './policy-file.js';

/**
 * Which devices an automatic rollout of `name` `version` goes to: every device running that name,
 * minus pinned ones; with `outdatedOnly` only those on an older version (an automatic rollout never
 * downgrades), else every one not on it; with `onlineOnly` only those online now. Devices that are
 * ready come first, so the canary is one that can start at once; then by key, so which one is the
 * canary does not depend on the order devices were discovered in.
 */
export function pickDevices(devices: readonly DeviceRecord[], name: string, version: string, settings: Pick<PolicySettings, 'outdatedOnly' | 'onlineOnly'>, pinned: (key: string) => boolean) {
  let running = 0;
  let pins = 0;
  let current = 0;
  let offline = 0;
  const chosen: DeviceRecord[] = [];
  for (const device of devices) {
    if (device.fw?.name !== name) continue;
    running++;
    if (pinned(device.key)) pins++;
    else if (!isNewer(version, device.fw.version, settings.outdatedOnly)) current++;
    else if (settings.onlineOnly && !device.online) offline++;
    else chosen.push(device);
  }
  chosen.sort((a, b) => Number(b.state === 'ready') - Number(a.state === 'ready') || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const note = [`${running} run ${name}`, pins ? `${pins} pinned` : '', current ? `${current} already on ${version} or newer` : '', offline ? `${offline} offline` : ''].filter(Boolean).join(', ');
  return {keys: chosen.map(d => d.key), pinned: pins, note};
}

/**
 * Whether `candidate` should replace `running`: strictly newer (compareVersions: semver-aware, then
 * natural order); without `outdatedOnly`, any other version. A device whose version is unknown is
 * outdated.
 */
export function isNewer(candidate: string, running: string | undefined, outdatedOnly = true): boolean {
  if (!running) return true;
  return outdatedOnly ? compareVersions(candidate, running) > 0 : candidate !== running;
}
