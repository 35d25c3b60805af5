import {checkIdentifier, NAME_MAX, VERSION_MAX} from './markers.js';

/**
 * File names in the store (protocols.md §4.2, §4.8): `<name>-<version>.bin`, split at the last "-"
 * that is followed by a version. The original accepted only 1.2.3 and 1.2.3.4; here any version that
 * starts with digits and a dot is kept (1.0, v1.2, 1.0.0-beta, 2019.01.05-1), so uploads the original
 * stored but never listed now appear.
 */
const VERSION = /^v?\d+(?:\.\d+)+(?:[-+~_][0-9A-Za-z.+~_-]*)?$/i;

export function looksLikeVersion(text: string): boolean {
  return VERSION.test(text);
}

export interface ParsedName {
  readonly name: string;
  readonly version: string;
}

/** `relay-1.0.0.bin` → {relay, 1.0.0}; null when the name is not `<name>-<version>.bin` with safe parts. */
export function parseFirmwareFileName(file: string): ParsedName | null {
  if (!file.endsWith('.bin')) return null;
  const stem = file.slice(0, -4);
  for (let dash = stem.lastIndexOf('-'); dash > 0; dash = stem.lastIndexOf('-', dash - 1)) {
    const version = stem.slice(dash + 1);
    if (!looksLikeVersion(version)) continue;
    const name = stem.slice(0, dash);
    if (!checkIdentifier(name, 'name', NAME_MAX).ok || !checkIdentifier(version, 'version', VERSION_MAX).ok) return null;
    return {name, version};
  }
  return null;
}

/**
 * The file name a firmware is stored under, or why it cannot be stored: the name must read back as
 * the same name and version, or the store would later list it as something else.
 */
export function firmwareFileName(name: string, version: string): {file: string} | {problem: string} {
  const nameCheck = checkIdentifier(name, 'name', NAME_MAX);
  if (!nameCheck.ok) return {problem: nameCheck.reason};
  const versionCheck = checkIdentifier(version, 'version', VERSION_MAX);
  if (!versionCheck.ok) return {problem: versionCheck.reason};
  if (!looksLikeVersion(version)) {
    return {problem: `the version "${version}" does not start with numbers and a dot (such as 1.0 or 1.0.0-beta), so it cannot be told apart from the name in a file name; use such a version in Homie_setFirmware()`};
  }
  const file = `${name}-${version}.bin`;
  const back = parseFirmwareFileName(file);
  if (!back || back.name !== name || back.version !== version) {
    return {problem: `"${name}" with version "${version}" would be stored as ${file}, which reads back as ${back ? `"${back.name}" version "${back.version}"` : 'something else'}; change the name or the version`};
  }
  return {file};
}

/** The description file beside a firmware: relay-1.0.0.bin → relay-1.0.0.txt */
export function descriptionFileName(file: string): string {
  return `${file.slice(0, -4)}.txt`;
}

/**
 * Files in the firmware folder that are never picked up: hidden and temporary names that copy tools
 * (rsync, WinSCP, browsers, editors, our own atomic writes) use while a file is still being written.
 */
export function isIgnoredName(file: string): boolean {
  return file.startsWith('.') || file.startsWith('~') || /\.(tmp|temp|part|partial|filepart|crdownload|download|swp)$/i.test(file) || file.endsWith('~');
}

/** A file in the firmware folder that may hold a firmware: .bin, or gzip (.bin.gz, .gz). */
export function isCandidateName(file: string): boolean {
  return !isIgnoredName(file) && /\.(bin|gz)$/i.test(file);
}
