import path from 'node:path';
import type {MessageInfo} from '../mqtt/client.js';
import type {Log} from '../log.js';
import {printable} from '../util/text.js';
import {buildDetail} from './detail.js';
import {DeviceEntry} from './device.js';
import type {InventoryDeps} from './deps.js';
import {Discovery, type DiscoveryStatus} from './discovery.js';
import {loadRunning} from '../util/load-phase.js';
import {FirmwareIndex} from './firmware-index.js';
import {Forgetter, type ForgetProgress} from './forget.js';
import {MAX_DEVICES, valueLimit} from './limits.js';
import {decodePayload} from './payload.js';
import {loadInventory, saveInventory} from './persistence.js';
import {buildRecord, stateOf, type RecordContext} from './record.js';
import {RecordList} from './record-list.js';
import type {TopicStore} from './topic-store.js';
import {SaveScheduler} from './save-scheduler.js';
import {isDiscoveryPath, isKeptPath, orderPrefixes, parseTopic, type TopicTarget} from './topics.js';
import type {DeviceDetail, DeviceRecord, ForgetResult, InventoryStatus, Lookup} from './types.js';
import {ChangeNotifier} from './change-notifier.js';

export type {FirmwareListing, InventoryDeps, InventoryMqtt, InventorySettings} from './deps.js';
export type {DeviceDetail, DeviceRecord, DeviceState, ForgetResult, InventoryStatus, Lookup, NodeDetail, PropertyDetail} from './types.js';

/** A retained replay of a value that came live less than this ago is older than it: ignored. */
const STALE_REPLAY_MS = 5000;

/** Attributes whose change is saved within about a second; everything else rides along later. */
const IMPORTANT = new Set(['$state', '$online', '$homie', '$name', '$fw/name', '$fw/version', '$fw/checksum', '$fwname', '$fwversion',
  '$localip', '$mac', '$implementation', '$implementation/ota/enabled', '$description', '$nodes']);

/**
 * The live device inventory: every Homie device under the configured prefixes, built from the
 * retained topics (see discovery.ts for how it stays complete on a stock broker), saved to
 * `<firmwareRoot>/inventory.json`, served over HTTP and drawn by the Devices view. The engine feeds it
 * MQTT messages (`onMessage`), connection changes and firmware changes.
 */
export class Inventory {
  readonly name = 'inventory';
  readonly #deps: InventoryDeps;
  readonly #log: Log;
  readonly #prefixes: string[];
  readonly #entries = new Map<string, DeviceEntry>();
  readonly #discovery: Discovery;
  readonly #forgetter: Forgetter;
  readonly #saver: SaveScheduler;
  readonly #file: string;
  readonly #forgetting = new Map<string, Promise<ForgetResult>>();
  #firmware = new FirmwareIndex();
  #context: RecordContext;
  readonly #records = new RecordList();
  readonly #notifier: ChangeNotifier;
  #canSave = true;
  #lastSaved: number | undefined;
  #saveError: string | undefined;
  #v5WithRoot = 0;
  #warnedFull = false;
  #revision = 0;

  /** Stores its collaborators and builds its own parts; nothing is subscribed, read or started. */
  constructor(deps: InventoryDeps) {
    this.#deps = deps;
    this.#log = deps.log;
    this.#prefixes = orderPrefixes(deps.settings.prefixes);
    this.#file = path.join(deps.settings.firmwareRoot, 'inventory.json');
    this.#context = this.#makeContext();
    this.#discovery = new Discovery(deps.mqtt, this.#prefixes, {
      knownBases: () => this.#subscribableBases(),
      topicCount: base => this.#entries.get(base)?.topics.size ?? 0,
      deviceCount: () => this.#entries.size,
      changed: () => this.#notifier.changed(undefined, true),
    }, this.#log, deps.now);
    this.#forgetter = new Forgetter(deps.mqtt, this.#log);
    this.#notifier = new ChangeNotifier(deps.changed, deps.now, deps.devicesChanged);
    this.#saver = new SaveScheduler(() => this.#save(), deps.now);
  }

  get readonly(): boolean {
    return this.#deps.settings.readonly;
  }

  async start(): Promise<void> {
    this.#firmware = new FirmwareIndex(this.#deps.firmware.list());
    this.#context = this.#makeContext();
    const loaded = await loadInventory(this.#file, this.#prefixes[0] ?? 'homie', this.#deps.now(), {readonly: this.readonly});
    // --readonly writes nothing: a viewer beside the running instance must not write its copy over inventory.json
    this.#canSave = loaded.canSave !== false && !this.readonly;
    for (const message of loaded.messages) this.#deps.notice(message.level, message.text);
    for (const entry of loaded.entries) {
      if (this.#entries.has(entry.key)) continue;
      this.#entries.set(entry.key, entry);
      if (entry.v5 && entry.description?.root) this.#v5WithRoot++;
    }
    const foreign = loaded.entries.filter(e => !this.#prefixes.includes(e.prefix));
    if (foreign.length > 0) {
      const names = [...new Set(foreign.map(e => e.prefix))].slice(0, 5).map(p => printable(p)).join(', ');
      this.#log.info(`${foreign.length} device(s) in inventory.json are under prefixes not configured now (${names}); they are kept and shown, but not updated (MQTT_SENSOR_PREFIX)`);
    }
    if (loaded.entries.length > 0) this.#log.info(`loaded ${loaded.entries.length} device(s) from ${this.#file}; each is marked unconfirmed until the broker shows it`);
    this.#markChanged(null);
  }

  async stop(): Promise<void> {
    this.#notifier.dispose();
    await this.#saver.flush();
    this.#saver.dispose();
  }

  /** Every device, in a stable order (first seen first). The array is rebuilt only after a change. */
  list(): readonly DeviceRecord[] {
    return this.#records.list(this.#entries, entry => buildRecord(entry, this.#context));
  }

  /** One device by key ("homie/kitchen", "homie/5/kitchen"). */
  get(key: string): DeviceRecord | undefined {
    const entry = this.#entries.get(key);
    return entry ? buildRecord(entry, this.#context) : undefined;
  }

  /** The record with every attribute and the nodes and properties. */
  detail(key: string): DeviceDetail | undefined {
    const entry = this.#entries.get(key);
    return entry ? buildDetail(entry, buildRecord(entry, this.#context)) : undefined;
  }

  /** The retained topics held for a device (path below the device → value), as received. */
  topics(key: string): TopicStore | undefined {
    return this.#entries.get(key)?.topics;
  }

  /** Find a device by key, or by bare id when that id is unique across prefixes. */
  lookup(idOrKey: string): Lookup {
    const exact = this.#entries.get(idOrKey);
    if (exact) return {entry: exact};
    const matches: string[] = [];
    for (const entry of this.#entries.values()) if (entry.id === idOrKey) matches.push(entry.key);
    if (matches.length === 1) return {entry: this.#entries.get(matches[0]!)!};
    if (matches.length > 1) return {ambiguous: matches.sort()};
    return null;
  }

  /** rises with every change to any device */
  get revision(): number {
    return this.#revision;
  }

  get status(): InventoryStatus {
    this.#records.update(this.#entries, entry => buildRecord(entry, this.#context));
    return {total: this.#entries.size, online: this.#records.online, states: this.#records.states, unconfirmed: this.#records.unconfirmed,
      discovery: this.#discovery.status, file: this.#file, lastSaved: this.#lastSaved, saveError: this.#saveError};
  }

  /**
   * For /healthz: devices, the discovery's phase, and while attributes arrive how far they are
   * ("attributes 12,345 of 20,000 devices").
   */
  health(): {devices: number; phase: DiscoveryStatus['phase']; loading: boolean; attributesLoaded: number; progress?: string} {
    const {phase, loading} = this.#discovery.status;
    const devices = this.#entries.size;
    const attributesLoaded = Math.max(0, devices - loading);
    const busy = loadRunning(phase) && loading > 0;
    return {devices, phase, loading: busy, attributesLoaded, ...(busy ? {progress: `loading: attributes ${attributesLoaded.toLocaleString('en-US')} of ${devices.toLocaleString('en-US')} devices`} : {})};
  }

  /** The device's retained attributes are still arriving (asked for, not all in yet). */
  isLoading(key: string): boolean {
    return this.#discovery.isLoading(key);
  }

  /** Devices online (init, ready, alert) and known only from inventory.json, kept as records change. */
  get counts(): {readonly total: number; readonly online: number; readonly unconfirmed: number} {
    this.#records.update(this.#entries, entry => buildRecord(entry, this.#context));
    return {total: this.#entries.size, online: this.#records.online, unconfirmed: this.#records.unconfirmed};
  }

  get discoveryStatus(): DiscoveryStatus {
    return this.#discovery.status;
  }

  /**
   * Forget a device: clear its retained topics on the broker, then drop it from the inventory. Refused
   * in read-only mode and while the broker is unreachable (the topics would bring it straight back).
   */
  forget(key: string): Promise<ForgetResult> {
    const running = this.#forgetting.get(key);
    if (running) return running;
    const entry = this.#entries.get(key);
    if (!entry) return Promise.resolve({ok: false, status: 404, message: `no device ${printable(key)} in the inventory`});
    if (this.readonly) return Promise.resolve({ok: false, status: 403, message: 'read-only mode (--readonly): forgetting devices is off'});
    if (!this.#deps.mqtt.connected) {
      return Promise.resolve({ok: false, status: 503, message: `cannot forget ${printable(key)} while the broker is unreachable: its retained topics would bring it back; try again when MQTT is connected`});
    }
    const work = this.#forget(entry).finally(() => this.#forgetting.delete(key));
    this.#forgetting.set(key, work);
    return work;
  }

  /** A forget still running for this key (or bare id), with how far it has come. */
  forgetting(idOrKey: string): {readonly key: string; readonly progress: ForgetProgress} | undefined {
    for (const key of this.#forgetting.keys()) {
      if (key !== idOrKey && key.slice(key.lastIndexOf('/') + 1) !== idOrKey) continue;
      const progress = this.#forgetter.progress(key);
      if (progress) return {key, progress};
    }
    return undefined;
  }

  async #forget(entry: DeviceEntry): Promise<ForgetResult> {
    const wasOnline = buildRecord(entry, this.#context).online;
    const paths = [...entry.topics.keys()];
    this.#remove(entry);
    const [outcome] = await Promise.all([this.#forgetter.forget(entry.base, paths), this.#discovery.drop(entry.base)]);
    const who = printable(entry.key);
    let message = `forgot ${who}: cleared ${outcome.cleared} retained topic${outcome.cleared === 1 ? '' : 's'}`;
    if (outcome.failed > 0) message += `; ${outcome.failed} could not be cleared (the broker refused or did not answer): forget it again to retry`;
    if (wasOnline) message += '. It was online: if it is still running it will announce itself again (power it off or reflash it first)';
    this.#deps.notice(outcome.failed > 0 ? 'warn' : 'info', message);
    return {ok: true, key: entry.key, cleared: outcome.cleared, failed: outcome.failed, wasOnline, message};
  }

  #remove(entry: DeviceEntry): void {
    if (!this.#entries.delete(entry.key)) return;
    if (entry.v5 && entry.description?.root) this.#v5WithRoot--;
    this.#markChanged(entry.key, true, true);
    this.#saver.mark('important');
  }

  /** The MQTT connection is up (again): discovery subscribes. */
  connected(): void {
    void this.#discovery.connected();
  }

  /** The MQTT connection is down or trying. */
  disconnected(): void {
    this.#discovery.disconnected();
  }

  /** One MQTT message: a forget's echo, a device attribute, or nothing of ours. */
  onMessage(topic: string, payload: Buffer, packet: MessageInfo): void {
    if (this.#forgetter.offer(topic, payload, packet.retain)) return;
    const target = this.#pick(parseTopic(topic, this.#prefixes));
    if (!target || !isKeptPath(target.path)) return;
    if (this.#forgetting.size > 0 && this.#forgetting.has(target.key)) return;
    const found = this.#entryFor(target, payload);
    if (!found) return;
    const {entry, created} = found;
    // the entry's own key from here on: the target's is cut from the topic
    const key = entry.key;
    this.#noteSeen(entry, packet.retain);
    // A retained replay shows the broker's state when it handled our SUBSCRIBE; aedes delivers it a
    // moment late, so it must not undo a newer live message (a will "lost" that just came in)
    // (a live time "in the future" means the clock went back since: not a reason to drop the replay)
    if (packet.retain && this.#staleReplay(entry, target.path)) return;
    const {value, important} = this.#store(entry, target.path, payload, packet.retain);
    // Homie 5: a cleared $state means the device was removed; any device: nothing left, nothing to show
    if ((entry.v5 && target.path === '$state' && value === null) || entry.topics.size === 0) {
      this.#remove(entry);
      void this.#discovery.drop(entry.base);
      return;
    }
    // while the first load runs, the retained attributes it brings are told once a second with the
    // rest: told within 50 ms, thousands of devices' records were rebuilt for every filter of the load
    const urgent = created || (important && (!packet.retain || this.#discovery.firstLoadDone));
    // a new device is appended to the record list, not a reason to rebuild it (see RecordList)
    this.#markChanged(key, urgent || target.path === '$implementation/ota/status');
    this.#markUnsaved(urgent ? 'important' : 'volatile');
  }

  /** A retained replay of a value that came live less than STALE_REPLAY_MS ago (the clock is read only then). */
  #staleReplay(entry: DeviceEntry, path: string): boolean {
    const live = entry.topics.liveAt(path);
    if (live === 0) return false;
    const age = this.#deps.now() - live;
    return age >= 0 && age < STALE_REPLAY_MS;
  }

  /** The device a message is for; a new one only for a non-empty discovery attribute, within the cap. */
  #entryFor(target: TopicTarget, payload: Buffer): {entry: DeviceEntry; created: boolean} | undefined {
    const known = this.#entries.get(target.key);
    if (known) {
      if (!known.confirmed) {
        known.confirmed = true; // not saved: confirmation is about this run
        known.touch();
      }
      return {entry: known, created: false};
    }
    // echoes of cleared topics never create a device
    if (payload.length === 0 || !isDiscoveryPath(target.path, target.v5)) return undefined;
    if (this.#entries.size >= MAX_DEVICES) {
      if (!this.#warnedFull) this.#deps.notice('warn', `more than ${MAX_DEVICES} devices: new devices are ignored (is something publishing junk under the prefix?)`);
      this.#warnedFull = true;
      return undefined;
    }
    const entry = new DeviceEntry(target.prefix, target.id, target.v5, true);
    this.#entries.set(entry.key, entry);
    this.#discovery.want(entry.base);
    return {entry, created: true};
  }

  /** A live message is a sign of life; a retained one is discovery's progress. */
  #noteSeen(entry: DeviceEntry, retained: boolean): void {
    if (retained) {
      this.#discovery.sawRetained();
      return;
    }
    entry.lastSeen = this.#deps.now();
    entry.touch();
  }

  /** Keep the value; `important` when it changed an attribute saved within a second. */
  #store(entry: DeviceEntry, path: string, payload: Buffer, retained: boolean): {value: ReturnType<typeof decodePayload>; important: boolean} {
    const hadRoot = entry.v5 && Boolean(entry.description?.root);
    const value = decodePayload(payload, valueLimit(path), entry.v5);
    if (!entry.set(path, value, retained ? 0 : this.#deps.now())) return {value, important: false};
    if (entry.v5 && path === '$description') this.#v5WithRoot += Number(Boolean(entry.description?.root)) - Number(hadRoot);
    if (entry.v5 && path === '$state' && this.#v5WithRoot > 0) this.#touchChildren(entry);
    return {value, important: IMPORTANT.has(path)};
  }

  /** While the first load runs, the broker holds everything we would save: do not spend the start writing. */
  #markUnsaved(kind: 'important' | 'volatile'): void {
    this.#saver.mark(this.#discovery.firstLoadDone ? kind : 'volatile');
  }

  /** `<P>/5/<x>/…` is a Homie 5 device unless a Homie 3/4 device with the id "5" explains it better. */
  #pick(targets: TopicTarget[]): TopicTarget | undefined {
    if (targets.length < 2) return targets[0];
    const [v5, legacy] = targets as [TopicTarget, TopicTarget];
    if (this.#entries.has(v5.key)) return v5;
    if (this.#entries.has(legacy.key)) return legacy;
    return isDiscoveryPath(v5.path, true) ? v5 : legacy;
  }

  #touchChildren(root: DeviceEntry): void {
    for (const entry of this.#entries.values()) {
      if (entry.v5 && entry.prefix === root.prefix && entry.description?.root === root.id) {
        entry.touch();
        this.#markChanged(entry.key);
      }
    }
  }

  *#subscribableBases(): Iterable<string> {
    for (const entry of this.#entries.values()) if (this.#prefixes.includes(entry.prefix)) yield entry.base;
  }

  #makeContext(): RecordContext {
    const firmware = this.#firmware;
    return {
      firmware,
      stateOf: key => {
        const entry = this.#entries.get(key);
        return entry ? stateOf(entry) : undefined;
      },
    };
  }

  /** The firmware store changed: "update available" is worked out again where it changed. */
  firmwareChanged(): void {
    const next = new FirmwareIndex(this.#deps.firmware.list());
    if (next.equals(this.#firmware)) return;
    this.#firmware = next;
    this.#context = this.#makeContext();
    for (const entry of this.#entries.values()) entry.touch();
    this.#markChanged(null);
  }

  /**
   * Note a change (null: many or all; `structural`: the device came or went); the bus hears of it
   * soon (`fast`) or within a second.
   */
  #markChanged(key: string | null, fast = true, structural = false): void {
    if (key === null || structural) this.#records.invalidate();
    else this.#records.changed(key);
    this.#revision++;
    this.#notifier.changed(key, fast);
  }

  async #save(): Promise<void> {
    if (!this.#canSave) return;
    try {
      await saveInventory(this.#file, this.#entries.values(), this.#deps.now());
      this.#lastSaved = this.#deps.now();
      if (this.#saveError) this.#deps.notice('info', `${this.#file} is written again`);
      this.#saveError = undefined;
    } catch (error) {
      const message = `cannot write ${this.#file}: ${(error as Error).message}; the device list is kept in memory and saving is retried on the next change (check free space and permissions of OTA_FIRMWARE_ROOT)`;
      if (message !== this.#saveError) this.#deps.notice('error', message);
      this.#saveError = message;
      throw error;
    }
  }
}
