import {compareVersions} from '../util/version.js';

/** A stored firmware as far as the index reads it. */
export interface FirmwareVersions {
  readonly name: string;
  readonly version: string;
}

/**
 * The newest version of each firmware name in the store, so "is an update available" is one map
 * lookup per device. Rebuilt when the store changes (the bus 'firmware' event).
 */
export class FirmwareIndex {
  readonly #latest = new Map<string, string>();

  constructor(files: readonly FirmwareVersions[] = []) {
    for (const file of files) {
      if (!file.name || !file.version) continue;
      const known = this.#latest.get(file.name);
      if (known === undefined || compareVersions(file.version, known) > 0) this.#latest.set(file.name, file.version);
    }
  }

  latest(name: string): string | undefined {
    return this.#latest.get(name);
  }

  /** true when `candidate` is newer than the device's `current` version (semver-aware, natural order otherwise) */
  isNewer(candidate: string | undefined, current: string | undefined): boolean {
    if (candidate === undefined || current === undefined || current === '') return false;
    return compareVersions(candidate, current) > 0;
  }

  /** same content (so a rebuild that changes nothing does not redraw 20,000 records) */
  equals(other: FirmwareIndex): boolean {
    if (other.#latest.size !== this.#latest.size) return false;
    for (const [name, version] of this.#latest) if (other.#latest.get(name) !== version) return false;
    return true;
  }
}
