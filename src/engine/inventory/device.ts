import {parseDescription, type Description} from './description.js';
import {ALWAYS_KEPT, MAX_TOPICS_PER_DEVICE} from './limits.js';
import {TopicStore} from './topic-store.js';
import {deviceKey} from './topics.js';

/**
 * What we know of one device: the retained topics below it (path → value), exactly what the broker
 * holds, plus when it was last heard live. Everything shown (the record, the detail) is derived from
 * this, and the same map is what inventory.json stores and replays. Derived views are cached and
 * dropped on every change.
 */
export class DeviceEntry {
  readonly key: string;
  readonly topics = new TopicStore();
  /** ms since epoch of the last live (non-retained) message; retained replays do not count */
  lastSeen: number | undefined;
  /** heard from the broker since this process started (false: only known from inventory.json) */
  confirmed: boolean;
  /** rises with every change */
  revision = 0;
  /** topics refused because the device hit MAX_TOPICS_PER_DEVICE */
  dropped = 0;
  /** cached derived views, owned by record.ts / persistence.ts */
  cache: {record?: unknown; description?: Description | null} = {};

  constructor(readonly prefix: string, readonly id: string, readonly v5: boolean, confirmed: boolean) {
    this.key = deviceKey(prefix, id, v5);
    this.confirmed = confirmed;
  }

  get base(): string {
    return this.key;
  }

  /**
   * Set (or with null, clear) one topic; `live` is the time of a live (not retained) message, 0 for a
   * retained replay. Returns true when something changed.
   */
  set(path: string, value: string | null, live = 0): boolean {
    if (value === null) {
      if (!this.topics.delete(path)) return false;
    } else {
      if (this.topics.size >= MAX_TOPICS_PER_DEVICE && !ALWAYS_KEPT.has(path) && !this.topics.has(path)) {
        this.dropped++;
        return false;
      }
      // one search: a new path is stored as an interned copy, a same value only renews its live time
      if (this.topics.put(path, internValue(path, value), live, intern) === value) return false;
    }
    this.touch();
    if (path === '$description') this.cache.description = undefined;
    return true;
  }

  get(path: string): string | undefined {
    return this.topics.get(path);
  }

  /** Mark derived views stale. */
  touch(): void {
    this.revision++;
    this.cache.record = undefined;
  }

  /** The parsed Homie 5 `$description`, or null when there is none. */
  get description(): Description | null {
    if (this.cache.description === undefined) {
      const text = this.topics.get('$description');
      this.cache.description = text === undefined || text === '' ? null : parseDescription(text);
    }
    return this.cache.description;
  }
}

/**
 * Topic paths repeat across a fleet (`$fw/name`, `sensor/temperature`), and so do many values
 * (`ready`, `3.0.1`, `esp8266`, units, datatypes, firmware names): keep one copy of each so 20,000
 * devices do not hold 600,000 copies. Values that differ per device (names, addresses, uptimes,
 * sensor readings) are kept as they come. The tables are bounded; past the bound strings are kept
 * as they come.
 */
const interned = new Map<string, string>();
const MAX_INTERNED = 20_000;
const internedValues = new Map<string, string>();
const MAX_INTERNED_VALUES = 50_000;
const PER_DEVICE = new Set(['$name', '$localip', '$mac', '$stats/uptime', '$stats/signal', '$uptime', '$uptime/value', '$signal', '$fw/checksum',
  '$description', '$stats/cputemp', '$stats/cpuload', '$stats/battery', '$stats/freeheap', '$stats/supply', '$implementation/ota/status']);

function flat(text: string): string {
  // a sliced string would keep the whole topic alive
  return (' ' + text).slice(1);
}

function intern(path: string): string {
  const known = interned.get(path);
  if (known !== undefined) return known;
  if (interned.size >= MAX_INTERNED) return path;
  const copy = flat(path);
  interned.set(copy, copy);
  return copy;
}

function internValue(path: string, value: string): string {
  const shared = value === 'true' || value === 'false' || (value.length <= 256 && (path.startsWith('$') ? !PER_DEVICE.has(path) : path.includes('/$')));
  if (!shared) return value;
  const known = internedValues.get(value);
  if (known !== undefined) return known;
  if (internedValues.size < MAX_INTERNED_VALUES) internedValues.set(value, value);
  return value;
}
