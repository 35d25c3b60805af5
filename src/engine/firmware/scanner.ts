import fs from 'node:fs/promises';
import path from 'node:path';
import type {Log} from '../log.js';
import {humanBytes, printable} from '../util/text.js';
import type {MetadataCache} from './cache.js';
import {reject, readCapped} from './file-ops.js';
import {fileIdentified, overLimit, summary, type FilingContext} from './filing.js';
import {identifyFirmware, type Identification} from './identify.js';
import {DescriptionReader, listFolder, type FolderEntry} from './list-folder.js';
import {planFiling} from './plan.js';
import {makeRecord, type FirmwareRecord} from './records.js';
import {SettleTracker, type DropStatus} from './settle.js';

export interface ScanHost {
  readonly root: string;
  readonly readonly: boolean;
  /** move dropped files into place (false with OTA_WATCH off: only name-version.bin files are listed) */
  readonly fileDrops: boolean;
  readonly uploadLimit: number;
  readonly maxInflated: number;
  readonly stableMs: number;
  readonly rejectAfterMs: number;
  readonly cache: MetadataCache;
  readonly filing: FilingContext;
  readonly log: Log;
  now(): number;
  outcome(level: 'info' | 'warn' | 'error', text: string): void;
  /** a new firmware file was filed from the folder while homie-ota runs (`source`: the name it was dropped as) */
  filed(file: string, source: string): void;
}

/**
 * One pass over the firmware folder: list it, keep what the cache still describes, read and identify
 * what is new or changed once it has settled, file drops under their name, move what cannot be filed
 * to rejected/. Returns the store's records as they are on disk now.
 */
export class FolderScanner {
  readonly tracker: SettleTracker;
  readonly #descriptions: DescriptionReader;

  constructor(readonly host: ScanHost) {
    this.tracker = new SettleTracker(host.stableMs, host.rejectAfterMs);
    this.#descriptions = new DescriptionReader(host.root);
  }

  drops(): DropStatus[] {
    return this.tracker.list();
  }

  async scan(initial: boolean): Promise<Map<string, FirmwareRecord>> {
    const {host} = this;
    const listing = await listFolder(host.root);
    const records = new Map<string, FirmwareRecord>();
    const present = new Set<string>();
    for (const entry of listing.candidates) {
      present.add(entry.file);
      const cached = host.cache.valid(entry.file, entry.size, entry.mtimeMs);
      const plan = cached ? planFiling(entry.file, cached.ident) : null;
      if (cached && plan?.ok && plan.file === entry.file) {
        this.tracker.forget(entry.file);
        records.set(entry.file, makeRecord(entry.file, plan.name, plan.version, cached.ident, plan.fromMarkers, '', cached.added));
        continue;
      }
      const now = host.now();
      this.tracker.observe(entry.file, entry.size, entry.mtimeMs, now);
      // without the watcher there is no second look: take files as they are at the one scan
      if (!this.tracker.settled(entry.file, now) && (host.fileDrops || !initial)) {
        this.tracker.setState(entry.file, 'copying', `being written (${humanBytes(entry.size)} so far); waiting until it stops changing`);
        continue;
      }
      try {
        const stored = await this.#process(entry, initial);
        if (stored) records.set(stored.file, stored);
      } catch (error) {
        this.tracker.setState(entry.file, 'error', (error as Error).message);
        if (this.tracker.firstNotice(entry.file)) host.outcome('error', `cannot handle ${printable(entry.file)}: ${(error as Error).message}`);
      }
    }
    for (const entry of listing.unusable) {
      present.add(entry.file);
      this.tracker.observe(entry.file, entry.size, entry.mtimeMs, host.now());
      this.tracker.setState(entry.file, 'not filed', `${entry.kind}: not used; homie-ota files and serves only regular files in its folder, so that nothing outside it is ever served or moved: copy the firmware itself into the folder`);
      if (this.tracker.firstNotice(entry.file)) host.outcome('warn', `${printable(entry.file)} is ${entry.kind}: not used (homie-ota files and serves only regular files in its folder); copy the firmware itself into the folder`);
    }
    this.tracker.retain(present);
    for (const [file, record] of records) {
      const description = await this.#descriptions.read(file, listing.texts);
      if (description !== record.description) records.set(file, {...record, description});
    }
    host.cache.retain(new Set(records.keys()));
    return records;
  }

  /** A settled file that the cache does not describe. Returns its record when it is (now) stored. */
  async #process(entry: FolderEntry, initial: boolean): Promise<FirmwareRecord | null> {
    const {host, tracker} = this;
    const source = path.join(host.root, entry.file);
    const shown = printable(entry.file);
    // one limit for every way in: upload, drop, and a file put there already named <name>-<version>.bin
    const limit = host.uploadLimit;
    const data = await readCapped(source, limit);
    let ident: Identification | null = null;
    if (data) {
      ident = identifyFirmware(data, {maxInflated: host.maxInflated});
      const after = await fs.stat(source);
      if (after.size !== entry.size || after.mtimeMs !== entry.mtimeMs) {
        tracker.observe(entry.file, after.size, after.mtimeMs, host.now());
        return null;
      }
    }
    const plan = ident
      ? planFiling(entry.file, ident)
      : {ok: false as const, reason: overLimit(entry.size, limit)};
    const now = host.now();
    if (plan.ok && plan.file === entry.file && ident) {
      const added = host.cache.get(entry.file)?.added ?? (initial ? Math.min(now, entry.mtimeMs) : now);
      host.cache.set(entry.file, {size: entry.size, mtimeMs: entry.mtimeMs, added, ident});
      tracker.forget(entry.file);
      if (!initial) {
        host.outcome('info', `Found ${shown} (${summary(ident)})`);
        host.filed(entry.file, entry.file);
      }
      return makeRecord(entry.file, plan.name, plan.version, ident, plan.fromMarkers, '', added);
    }
    if (host.readonly || !host.fileDrops) {
      const why = host.readonly ? 'read-only mode' : 'OTA_WATCH is off';
      const detail = plan.ok ? `would be filed as ${plan.file}; left as it is (${why})` : `not usable: ${plan.reason}; left as it is (${why})`;
      tracker.setState(entry.file, host.readonly ? 'readonly' : 'not filed', detail);
      if (tracker.firstNotice(entry.file)) host.outcome('warn', `${shown} ${detail}`);
      return null;
    }
    if (!plan.ok) {
      if (!tracker.expired(entry.file, now)) {
        const wait = Math.ceil((host.rejectAfterMs - (now - (tracker.sinceOf(entry.file) ?? now))) / 1000);
        tracker.setState(entry.file, 'incomplete', `not usable yet: ${plan.reason}; moved to rejected/ in ${wait} s unless it changes`);
        return null;
      }
      await this.#reject(entry.file, plan.reason, ident);
      return null;
    }
    const outcome = await fileIdentified(host.filing, source, ident!, plan);
    tracker.forget(entry.file);
    switch (outcome.kind) {
      case 'stored': {
        const stat = await fs.stat(path.join(host.root, outcome.file));
        host.cache.set(outcome.file, {size: stat.size, mtimeMs: stat.mtimeMs, added: now, ident: ident!});
        host.outcome('info', `Filed ${shown} as ${outcome.file} (${summary(ident!)})`);
        host.filed(outcome.file, entry.file);
        return makeRecord(outcome.file, plan.name, plan.version, ident!, plan.fromMarkers, '', now);
      }
      case 'identical':
        host.outcome('info', `${shown} is identical to ${outcome.existing.file}, which is already stored: removed the duplicate copy ${shown}`);
        return null;
      case 'conflict':
        await this.#reject(entry.file, outcome.reason, ident);
        return null;
      case 'invalid':
        await this.#reject(entry.file, outcome.reason, ident);
        return null;
    }
  }

  async #reject(file: string, reason: string, ident: Identification | null): Promise<void> {
    const details = ident ? [
      `Size: ${ident.size} bytes   MD5: ${ident.md5}`,
      `Detected: ${ident.format === 'none' ? 'no ESP image' : `${ident.chip} image${ident.gzip ? ' (gzip)' : ''}`}${ident.name ? `, Homie firmware "${ident.name}" version "${ident.version}"` : ''}`,
      '',
    ] : [];
    const moved = await reject(this.host.root, path.join(this.host.root, file), reason, details);
    this.tracker.forget(file);
    this.host.outcome('warn', `Rejected ${printable(file)} → rejected/${printable(moved)}: ${reason}`);
  }
}
