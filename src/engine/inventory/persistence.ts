import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {fileStamp, keepBackup, writeFileAtomic} from '../util/atomic.js';
import {NotRegularFileError, readRegularFile, refuseStateFile} from '../util/safe-file.js';
import {DeviceEntry} from './device.js';
import {MAX_DEVICES, valueLimit, CUT_MARK} from './limits.js';
import {isDeviceId} from './topics.js';
import {importOriginal} from './import-original.js';

/**
 * inventory.json: what the inventory knew at the last save, so devices show at start (marked as not
 * yet confirmed) even while the broker is unreachable. One device per line:
 *   {"format":"homie-ota-inventory","version":1,"savedAt":"…","devices":[
 *   {"prefix":"homie","id":"kitchen","v5":false,"lastSeen":1700000000000,"topics":{"$state":"ready",…}},
 *   …]}
 * `topics` holds the retained topics below the device, exactly as received (path → value).
 * Writes are atomic (temporary file, fsync, rename); a file that does not load is renamed aside.
 */
export const FORMAT = 'homie-ota-inventory';

export interface LoadResult {
  readonly entries: DeviceEntry[];
  /** what to tell the user (a file put aside, devices skipped, an import) */
  readonly messages: ReadonlyArray<{level: 'info' | 'warn'; text: string}>;
  /** false when the file exists but could neither be read nor put aside: never write over it */
  readonly canSave?: boolean;
  /** devices in the file that were not loaded because of the MAX_DEVICES cap */
  readonly overCap?: number;
}

/** The JSON of one device (one line of the file). */
export function entryJson(entry: DeviceEntry): string {
  const topics: Record<string, string> = {};
  for (const [path, value] of entry.topics) topics[path] = value;
  return JSON.stringify({prefix: entry.prefix, id: entry.id, v5: entry.v5, lastSeen: entry.lastSeen, topics});
}

const CHUNK = 500;

/**
 * The whole file, in chunks of CHUNK devices, each written before the next is made: a 20,000-device
 * inventory neither holds the event loop (and the dashboard, and OTA downloads) for a third of a
 * second nor the whole text in memory (about 60 MB of resident memory at the peak, before).
 */
export async function* serialize(entries: Iterable<DeviceEntry>, now: number): AsyncGenerator<string> {
  const snapshot = [...entries];
  yield `{"format":"${FORMAT}","version":1,"savedAt":${JSON.stringify(new Date(now).toISOString())},"devices":[\n`;
  for (let i = 0; i < snapshot.length; i += CHUNK) {
    if (i > 0) await new Promise(resolve => setImmediate(resolve));
    const lines: string[] = [];
    for (let j = i; j < Math.min(i + CHUNK, snapshot.length); j++) lines.push(entryJson(snapshot[j]!));
    yield `${i > 0 ? ',\n' : ''}${lines.join(',\n')}`;
  }
  yield '\n]}\n';
}

export async function saveInventory(file: string, entries: Iterable<DeviceEntry>, now: number): Promise<void> {
  await writeFileAtomic(file, serialize(entries, now));
}

/** Parse the file's text into entries; throws with a reason when it is not an inventory at all. */
export function parseInventory(text: string, defaultPrefix: string): LoadResult {
  const doc: unknown = JSON.parse(text);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
  const record = doc as Record<string, unknown>;
  if (record.format !== FORMAT) {
    // the Python original's flat {id: {attribute: value}}
    const imported = importOriginal(record, defaultPrefix);
    return {entries: imported, messages: [{level: 'info', text: `imported ${imported.length} device(s) from the original homie-ota's inventory.json`}]};
  }
  if (!Array.isArray(record.devices)) throw new Error('"devices" is not a list');
  const entries: DeviceEntry[] = [];
  const seen = new Set<string>();
  let unreadable = 0;
  let duplicates = 0;
  let overCap = 0;
  for (const item of record.devices as unknown[]) {
    if (entries.length >= MAX_DEVICES) {
      overCap++;
      continue;
    }
    const entry = toEntry(item);
    if (!entry) unreadable++;
    else if (seen.has(entry.key)) duplicates++;
    else {
      seen.add(entry.key);
      entries.push(entry);
    }
  }
  const messages: Array<{level: 'info' | 'warn'; text: string}> = [];
  const n = (count: number, one: string, many: string) => `${count.toLocaleString('en')} ${count === 1 ? one : many}`;
  if (overCap > 0) {
    messages.push({level: 'warn', text: `inventory.json holds ${(entries.length + unreadable + duplicates + overCap).toLocaleString('en')} device entries, more than the ${MAX_DEVICES.toLocaleString('en')} devices homie-ota keeps: the first ${entries.length.toLocaleString('en')} were loaded, the last ${n(overCap, 'entry was', 'entries were')} not`});
  }
  if (unreadable > 0) messages.push({level: 'warn', text: `inventory.json: ${n(unreadable, 'device entry', 'device entries')} could not be read (not a device record) and ${unreadable === 1 ? 'was' : 'were'} skipped`});
  if (duplicates > 0) messages.push({level: 'warn', text: `inventory.json: ${n(duplicates, 'device entry', 'device entries')} repeated a device already loaded and ${duplicates === 1 ? 'was' : 'were'} skipped`});
  return {entries, messages, overCap};
}

function toEntry(item: unknown): DeviceEntry | null {
  if (typeof item !== 'object' || item === null) return null;
  const d = item as Record<string, unknown>;
  if (typeof d.prefix !== 'string' || typeof d.id !== 'string' || !isDeviceId(d.id) || d.prefix === '') return null;
  if (typeof d.topics !== 'object' || d.topics === null || Array.isArray(d.topics)) return null;
  const entry = new DeviceEntry(d.prefix, d.id, d.v5 === true, false);
  for (const [path, value] of Object.entries(d.topics as Record<string, unknown>)) {
    if (typeof value !== 'string' || path === '') continue;
    const limit = valueLimit(path);
    entry.set(path, value.length > limit + CUT_MARK.length ? `${value.slice(0, limit)}${CUT_MARK}` : value);
  }
  if (typeof d.lastSeen === 'number' && Number.isFinite(d.lastSeen)) entry.lastSeen = d.lastSeen;
  return entry;
}

/**
 * Load the file. Missing: empty. Unreadable: renamed to inventory.json.bad-<time> (never deleted) and
 * the inventory starts empty, with a message saying where the old file went.
 */
export async function loadInventory(file: string, defaultPrefix: string, now: number, options: {readonly?: boolean} = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = (await readRegularFile(file)).toString('utf8');
  } catch (error) {
    if (error instanceof NotRegularFileError) throw refuseStateFile(error, 'its device inventory');
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {entries: [], messages: []};
    return {entries: [], canSave: false, messages: [{level: 'warn', text: `cannot read ${file}: ${(error as Error).message}; the inventory is not saved until it can be read (check its permissions, then restart)`}]};
  }
  try {
    const result = parseInventory(text, defaultPrefix);
    // --readonly writes nothing into the folder: no copies, no backups (nor saves)
    if (options.readonly) return {...result, canSave: false};
    if (result.entries.length > 0 && result.messages.some(m => m.text.includes('original homie-ota'))) {
      // keep the original's file as it was: our first save replaces it with our format
      const copy = `${file}.original`;
      if (!fs.existsSync(copy)) await fsp.copyFile(file, copy).catch(() => {});
    }
    if (result.messages.some(m => m.level === 'warn')) {
      // the first save writes only what was loaded: keep the whole file as it was
      const kept = await keepBackup(file, now).then(
        backup => `the file as it was is kept as ${path.basename(backup)}`,
        (error: Error) => `the file as it was could not be kept (${error.message}): copy it now, the next save leaves those entries out`,
      );
      return {...result, messages: [...result.messages, {level: 'warn', text: `inventory.json: ${kept}`}]};
    }
    return result;
  } catch (error) {
    const aside = `${file}.bad-${fileStamp(now)}`;
    const reason = (error as Error).message.slice(0, 200);
    if (options.readonly) return {entries: [], canSave: false, messages: [{level: 'warn', text: `${file} could not be read (${reason}); it is left as it is (read-only mode)`}]};
    try {
      await fsp.rename(file, aside);
      return {entries: [], messages: [{level: 'warn', text: `${file} could not be read (${reason}); it was kept as ${aside} and the inventory starts empty`}]};
    } catch (renameError) {
      return {entries: [], canSave: false, messages: [{level: 'warn', text: `${file} could not be read (${reason}) nor renamed (${(renameError as Error).message}); the inventory is not saved until this is fixed (move the file away, then restart)`}]};
    }
  }
}
