import type {DropStatus, FirmwareRecord, Outcome} from '../engine/firmware/store.js';
import type {DeviceRecord} from '../engine/inventory/inventory.js';
import type {WatchStatus} from '../engine/firmware/build-watch.js';

/** One row of the Firmware view. */
export interface FirmwareRow {
  readonly record: FirmwareRecord;
  /** devices whose $fw/name and $fw/version are this firmware's */
  readonly devices: number;
  /** the first (newest) row of its name: the view prints the name only there */
  readonly firstOfName: boolean;
  /** where the file is */
  readonly path: string;
  /** why D cannot delete it now (read-only, a job uses it), or null */
  readonly deleteRefusal: string | null;
}

/** What the Firmware view needs from the store. */
export interface FirmwareSlice {
  readonly total: number;
  /** distinct firmware names */
  readonly names: number;
  readonly rows: readonly FirmwareRow[];
  /** dropped files that are not filed (yet) */
  readonly drops: readonly DropStatus[];
  /** recent drop/upload/delete outcomes, newest last */
  readonly outcomes: readonly Outcome[];
  readonly root: string;
  readonly watching: boolean;
  /** where `curl -F upload=@x.bin` goes */
  readonly uploadUrl: string;
  /** WATCH: the patterns, how many files each matches, and what became of each file (null without WATCH) */
  readonly watch: WatchStatus | null;
}

const key = (name: string, version: string) => `${name}\u0000${version}`;

let countsFor: readonly DeviceRecord[] | null = null;
let countsCache = new Map<string, number>();
let countsAt = 0;
/** a count walks every device: with thousands of devices sending stats, redo it at most this often */
const COUNTS_EVERY_MS = 2000;

/** How many devices run each name+version (recomputed when the inventory's list changes, at most every 2 s). */
function deviceCounts(devices: readonly DeviceRecord[]): Map<string, number> {
  if (devices === countsFor) return countsCache;
  const now = Date.now();
  if (countsFor !== null && devices.length > 1000 && now - countsAt < COUNTS_EVERY_MS) return countsCache;
  countsAt = now;
  const counts = new Map<string, number>();
  for (const device of devices) {
    const {name, version} = device.fw ?? {};
    if (!name || !version) continue;
    const k = key(name, version);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  countsFor = devices;
  countsCache = counts;
  return counts;
}

function sameDrops(a: readonly DropStatus[], b: readonly DropStatus[]): boolean {
  return a.length === b.length && a.every((d, i) => d.file === b[i]!.file && d.size === b[i]!.size && d.state === b[i]!.state && d.detail === b[i]!.detail);
}

/** What the slice reads from the engine. */
export interface FirmwareSource {
  readonly firmware: {
    list(): readonly FirmwareRecord[];
    drops(): DropStatus[];
    outcomes(): readonly Outcome[];
    readonly root: string;
    pathOf(record: FirmwareRecord): string;
    deleteRefusal(record: FirmwareRecord): string | null;
    readonly builds?: {status(): WatchStatus} | null;
  };
  readonly inventory: {list(): readonly DeviceRecord[]};
  readonly otaUrl: string;
  readonly readonly: boolean;
  readonly config: {readonly watch: boolean};
}

/** What the delete refusals of a slice were asked with: they are asked again when one of these changes. */
const refusalsAsked = new WeakMap<FirmwareSlice, {records: readonly FirmwareRecord[]; jobsRevision: number}>();

/** `jobsRevision`: rises when jobs change (a job that uses a file keeps it from being deleted). */
export function buildFirmwareSlice(engine: FirmwareSource, previous: FirmwareSlice | undefined, jobsRevision = 0): FirmwareSlice {
  const records = engine.firmware.list();
  const counts = deviceCounts(engine.inventory.list());
  const asked = previous ? refusalsAsked.get(previous) : undefined;
  const known = asked?.records === records && asked.jobsRevision === jobsRevision ? previous?.rows : undefined;
  const rows: FirmwareRow[] = records.map((record, i) => ({
    record,
    devices: counts.get(key(record.name, record.version)) ?? 0,
    firstOfName: i === 0 || records[i - 1]!.name !== record.name,
    path: engine.firmware.pathOf(record),
    deleteRefusal: known ? known[i]!.deleteRefusal : engine.firmware.deleteRefusal(record),
  }));
  const drops = engine.firmware.drops();
  const watch = engine.firmware.builds?.status() ?? null;
  const outcomes = engine.firmware.outcomes();
  let uploadUrl = '';
  try {
    uploadUrl = `${new URL(engine.otaUrl).origin}/upload`;
  } catch {
    uploadUrl = '/upload';
  }
  if (
    previous
    && previous.rows.length === rows.length
    && previous.rows.every((row, i) => row.record === rows[i]!.record && row.devices === rows[i]!.devices && row.deleteRefusal === rows[i]!.deleteRefusal)
    && sameDrops(previous.drops, drops)
    && previous.outcomes === outcomes
    && previous.uploadUrl === uploadUrl
    && JSON.stringify(previous.watch) === JSON.stringify(watch)
  ) {
    refusalsAsked.set(previous, {records, jobsRevision});
    return previous;
  }
  const slice: FirmwareSlice = {
    total: records.length,
    names: new Set(records.map(r => r.name)).size,
    rows,
    drops,
    outcomes,
    root: engine.firmware.root,
    watching: engine.config.watch,
    uploadUrl,
    watch,
  };
  refusalsAsked.set(slice, {records, jobsRevision});
  return slice;
}

/** The keys of the devices that run this firmware (by their $fw/name and $fw/version). */
export function devicesRunning(devices: readonly DeviceRecord[], firmware: {readonly name: string; readonly version: string}): string[] {
  return devices.filter(d => d.fw?.name === firmware.name && d.fw?.version === firmware.version).map(d => d.key);
}
