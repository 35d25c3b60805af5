import type {DeviceEntry} from './device.js';
import type {DeviceRecord, DeviceState} from './types.js';

/**
 * The inventory as an array of records, rebuilt incrementally: when a few of 20,000 devices changed,
 * only their records are replaced, in a copy of the array once list() has handed it out, else in place
 * (a device that came is appended; a full rebuild happens only when devices go, or everything changed:
 * while 5,000 devices appear, GET /api/inventory asked every 10 ms rebuilt the list each time). The array list() returns is a new object after
 * every change and the same object otherwise,
 * so consumers compare by identity. Online, unconfirmed and per-state counts are kept on the way, so
 * GET /api/inventory (asked often while a fleet loads) never walks the list.
 */
export class RecordList {
  #records: DeviceRecord[] = [];
  #position = new Map<string, number>();
  #dirty = new Set<string>();
  #structural = true;
  #current: readonly DeviceRecord[] | null = null;
  /** the array was returned by list(): someone may hold it, so a change copies it (else it is patched in place) */
  #handedOut = false;
  #online = 0;
  #unconfirmed = 0;
  #states: Partial<Record<DeviceState, number>> = {};

  /** one device changed, or came (the entries' order is the order devices came in: it goes last) */
  changed(key: string): void {
    this.#dirty.add(key);
    this.#current = null;
  }

  /** devices came or went, or every record may have changed */
  invalidate(): void {
    this.#structural = true;
    this.#current = null;
  }

  get online(): number {
    return this.#online;
  }

  get unconfirmed(): number {
    return this.#unconfirmed;
  }

  /** devices per state (states with none left out); a fresh object */
  get states(): Partial<Record<DeviceState, number>> {
    const states: Partial<Record<DeviceState, number>> = {};
    for (const [state, n] of Object.entries(this.#states) as Array<[DeviceState, number]>) if (n > 0) states[state] = n;
    return states;
  }

  list(entries: ReadonlyMap<string, DeviceEntry>, build: (entry: DeviceEntry) => DeviceRecord): readonly DeviceRecord[] {
    this.update(entries, build);
    this.#handedOut = true;
    return this.#records;
  }

  /**
   * Bring the records and counts up to date without handing the array out (GET /api/inventory asks
   * 20 times a second while a fleet loads: copying 20,000 records each time was 4 % of the load).
   */
  update(entries: ReadonlyMap<string, DeviceEntry>, build: (entry: DeviceEntry) => DeviceRecord): void {
    if (this.#current) return;
    if (this.#structural || !this.#patch(entries, build)) this.#rebuild(entries, build);
    this.#dirty.clear();
    this.#structural = false;
    this.#current = this.#records;
  }

  #rebuild(entries: ReadonlyMap<string, DeviceEntry>, build: (entry: DeviceEntry) => DeviceRecord): void {
    const records: DeviceRecord[] = [];
    this.#position = new Map();
    this.#online = 0;
    this.#unconfirmed = 0;
    this.#states = {};
    for (const entry of entries.values()) {
      const record = build(entry);
      this.#position.set(entry.key, records.length);
      records.push(record);
      this.#count(record, 1);
    }
    this.#records = records;
    this.#handedOut = false;
  }

  #patch(entries: ReadonlyMap<string, DeviceEntry>, build: (entry: DeviceEntry) => DeviceRecord): boolean {
    const records = this.#handedOut ? this.#records.slice() : this.#records;
    for (const key of this.#dirty) {
      const entry = entries.get(key);
      if (!entry) return false;
      const at = this.#position.get(key);
      const record = build(entry);
      if (at === undefined) {
        // dirty keys come in the order they were first marked, and a new device is marked as it comes
        this.#position.set(key, records.length);
        records.push(record);
        this.#count(record, 1);
        continue;
      }
      this.#count(records[at]!, -1);
      this.#count(record, 1);
      records[at] = record;
    }
    this.#records = records;
    this.#handedOut = false;
    return true;
  }

  #count(record: DeviceRecord, sign: 1 | -1): void {
    if (record.online) this.#online += sign;
    if (!record.confirmed) this.#unconfirmed += sign;
    this.#states[record.state] = (this.#states[record.state] ?? 0) + sign;
  }
}
