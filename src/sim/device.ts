import {EventEmitter} from 'node:events';
import type {Chip} from '../engine/firmware/image-format.js';
import type {DeviceHandle} from './device-handle.js';
import type {DeviceEnv, DeviceEvents, DeviceSpec, DeviceState, FirmwareInfo, HistoryEntry, StatusEntry} from './device-types.js';
import {handleMessage} from './device-inbox.js';
import {Outbox} from './outbox.js';
import {describeFaults, type Faults} from './faults.js';
import {PROFILES, type DeviceFacts, type Generation, type Profile, type Step} from './generations.js';
import {deviceIdentity, runningImage, splitFw, type Identity} from './identity.js';
import type {HttpUpdateResult} from './http-update.js';
import type {DeviceLink} from './link.js';
import type {Message} from './mqtt/session.js';
import type {QoS} from '../mqtt/packets.js';
import {topicBytes} from './mqtt/topic.js';
import {initialValues} from './sketch.js';
import {runSketch} from './device-loop.js';

const HISTORY = 200;
const STATUS_LOG = 2000;
/** AsyncMqttClient's topic buffer (MAX_MQTT_TOPIC_LENGTH = 128 + 1): longer topics are dropped silently */
const MAX_TOPIC = 128;
/** PubSubClient's MQTT_MAX_PACKET_SIZE: Homie 1.x cannot receive anything bigger */
const PUBSUB_MAX_PACKET = 128;

/**
 * One simulated Homie device. It connects with its generation's will, advertises exactly as the
 * firmware does, sends stats, answers /set, $broadcast, reset and config changes, and takes OTA
 * updates the way its firmware does (device-ota.ts). Everything that touches the connection is tied
 * to a connection epoch, so nothing queued before a drop leaks into the next connection.
 */
export class SimDevice extends EventEmitter<DeviceEvents> implements DeviceHandle {
  readonly id: string;
  readonly generation: Generation;
  readonly profile: Profile;
  readonly chip: Chip;
  readonly family: 'esp8266' | 'esp32';
  readonly prefix: string;
  /** topic of the device: <prefix>/<id> (Homie 5: <prefix>/5/<id>) */
  readonly root: string;
  readonly identity: Identity;
  readonly statusLog: StatusEntry[] = [];
  readonly history: HistoryEntry[] = [];
  name: string;
  fw: FirmwareInfo;
  /** the image in flash (sketch size, checksums) */
  image: Buffer;
  faults: Faults;
  lastPull: HttpUpdateResult | null = null;
  readonly counters = {connects: 0, advertised: 0, otaStarted: 0, otaFlashed: 0, otaFailed: 0};
  #state: DeviceState = 'off';
  #epoch = 0;
  #bootAt = Date.now();
  #setupDone = false;
  #retries = 0;
  #signal: number;
  #values: Map<string, string>;
  #timers = new Set<NodeJS.Timeout>();
  readonly #outbox: Outbox;
  #inbox: Promise<void> = Promise.resolve();
  #pendingReboot: string | null = null;

  constructor(readonly spec: DeviceSpec, readonly env: DeviceEnv) {
    super();
    this.generation = spec.generation ?? 'v3';
    this.profile = PROFILES[this.generation];
    this.chip = spec.chip ?? 'esp8266';
    this.family = this.chip === 'esp8266' ? 'esp8266' : 'esp32';
    this.identity = deviceIdentity(env.seed, env.index, this.family, this.generation === 'v1');
    this.id = spec.id ?? this.identity.defaultId;
    this.prefix = (spec.prefix ?? this.profile.defaultPrefix).replace(/\/+$/, '');
    this.root = this.profile.root({prefix: this.prefix, id: this.id});
    this.name = spec.name ?? `${this.generation} device ${String(env.index + 1).padStart(4, '0')}`;
    const fw = typeof spec.fw === 'string' ? splitFw(spec.fw) : spec.fw ?? {name: 'homie-sim', version: '1.0.0'};
    const running = runningImage(this.chip, fw.name, fw.version);
    this.image = running.image;
    this.fw = {...fw, checksum: running.md5};
    this.faults = spec.faults ?? {};
    this.#signal = 40 + Math.floor(env.random() * 55);
    this.#values = initialValues(env.random);
    this.#outbox = new Outbox(env.link, env.pacer, () => this.#epoch);
  }

  /** "<prefix>/<id>" (Homie 5: "<prefix>/5/<id>"), as the inventory keys devices */
  get key(): string {
    return this.generation === 'homie5' ? `${this.prefix}/5/${this.id}` : `${this.prefix}/${this.id}`;
  }

  get state(): DeviceState {
    return this.#state;
  }

  get uptime(): number {
    return Math.floor((Date.now() - this.#bootAt) / 1000);
  }

  get otaEnabled(): boolean {
    return !this.faults.otaDisabled;
  }

  get freeSpace(): number {
    if (this.faults.noSpace) return 64 * 1024;
    if (this.spec.freeSpace !== undefined) return this.spec.freeSpace;
    // ESP8266: (FS start − sketch area start) − sketch size rounded up to 4 KiB, in a 1 MB sketch area
    return this.family === 'esp32' ? 1_310_720 : 1_048_576 - Math.ceil(this.image.length / 4096) * 4096;
  }

  get statsInterval(): number {
    return this.spec.statsInterval ?? this.env.statsInterval;
  }

  /** Start: boot and connect (faults such as `sleepy` apply from the first connection). */
  start(): void {
    if (this.#state !== 'off') return;
    this.boot('start');
  }

  /** Give the device more faults (merged), e.g. `inject({flashErrorAt: 50})`. */
  inject(faults: Faults): void {
    this.faults = {...this.faults, ...faults};
    this.note(`faults: ${describeFaults(this.faults) || 'none'}`);
  }

  clearFaults(): void {
    this.faults = {};
  }

  /** Take the device off the network: with the will (power cut, the default) or a clean disconnect. */
  async goOffline(options: {will?: boolean} = {}): Promise<void> {
    const will = options.will ?? true;
    const link = this.leave();
    this.setState('offline');
    if (will) link.drop();
    else await link.disconnect();
  }

  /** Power the device on again (after goOffline, a fault that kept it away, config mode or sleep). */
  goOnline(): void {
    if (['offline', 'dead', 'config-mode', 'stalled', 'sleeping', 'off'].includes(this.#state)) {
      this.leave().drop();
      this.boot('power on');
    }
  }

  /** Reset the device now (no DISCONNECT: the broker publishes the will); it comes back after the reboot delay. */
  reboot(reason = 'reboot requested'): void {
    this.restart(reason, () => {});
  }

  /** Stop for good (the fleet is stopping). With `will` the broker announces it lost (default). */
  async stop(options: {will?: boolean} = {}): Promise<void> {
    const link = this.leave();
    this.setState('off');
    if (options.will ?? true) link.drop();
    else await link.disconnect();
  }

  /** Resolve on the next `event` that satisfies `predicate`; reject after `timeoutMs`. */
  waitFor<E extends keyof DeviceEvents>(event: E, predicate: (...args: DeviceEvents[E]) => boolean = () => true, timeoutMs = 10_000): Promise<DeviceEvents[E]> {
    return new Promise((resolve, reject) => {
      const listener = (...args: DeviceEvents[E]) => {
        if (!predicate(...args)) return;
        clearTimeout(timer);
        this.off(event, listener as never);
        resolve(args);
      };
      const timer = setTimeout(() => {
        this.off(event, listener as never);
        reject(new Error(`device ${this.id}: no ${String(event)} within ${timeoutMs} ms (state ${this.#state})`));
      }, timeoutMs);
      this.on(event, listener as never);
    });
  }

  /** Change a property value as the sketch would (e.g. the temperature) and publish it. */
  setValue(node: string, property: string, value: string): void {
    this.#values.set(`${node}/${property}`, value);
    if (this.#state === 'ready') void this.send(this.valueStep(`${node}/${property}`, value), false);
  }

  value(node: string, property: string): string | undefined {
    return this.#values.get(`${node}/${property}`);
  }

  /** Keep a value the sketch accepted (the inbox publishes it). */
  storeValue(key: string, value: string): void {
    this.#values.set(key, value);
  }

  // ---- used by the behaviours (device-inbox.ts, device-loop.ts, device-ota.ts) ------------------------

  get epoch(): number {
    return this.#epoch;
  }

  note(text: string): void {
    this.history.push({time: Date.now(), text});
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    this.env.log?.(this.id, text);
  }

  /** Publish an OTA status: `$implementation/ota/status`, QoS 0, retained, ahead of other devices' traffic. */
  publishStatus(payload: string, epoch: number): void {
    this.statusLog.push({time: Date.now(), payload});
    if (this.statusLog.length > STATUS_LOG) this.statusLog.splice(0, this.statusLog.length - STATUS_LOG);
    this.emit('status', payload);
    void this.send({kind: 'pub', topic: `${this.root}/$implementation/ota/status`, payload, qos: 0, retain: true}, true, epoch);
  }

  /**
   * Reset: end TCP without DISCONNECT (the broker publishes the will), then after the reboot delay
   * run `then` (swap firmware, decide not to come back …) and boot unless the state says otherwise.
   */
  restart(reason: string, then: () => void | 'stay-down', delay = this.env.rebootDelay): void {
    this.leave().drop();
    this.setState('rebooting');
    this.note(`rebooting: ${reason}`);
    this.#pendingReboot = reason;
    this.later(delay, () => {
      if (then() === 'stay-down') return;
      this.boot(reason);
    }, this.#epoch);
  }

  /** The Wi-Fi quality in %, wandering a little at each report. */
  nextSignal(): number {
    this.#signal = Math.max(0, Math.min(100, this.#signal + Math.round((this.env.random() - 0.5) * 6)));
    return this.#signal;
  }

  /** The current property values by "node/property". */
  get values(): ReadonlyMap<string, string> {
    return this.#values;
  }

  /** Connect again without a reboot (Wi-Fi came back): uptime goes on. */
  reconnect(): void {
    this.#retries = 0;
    void this.#connect();
  }

  // ---- lifecycle ------------------------------------------------------------------------------------

  /** Boot again (power on, wake-up). */
  boot(reason: string): void {
    this.#bootAt = Date.now();
    this.#setupDone = false;
    this.#retries = 0;
    if (reason !== 'start') this.#pendingReboot ??= reason;
    void this.#connect();
  }

  async #connect(): Promise<void> {
    const epoch = ++this.#epoch;
    this.setState('connecting');
    const wait = this.env.connectPacer.take();
    if (wait) await wait;
    if (epoch !== this.#epoch) return;
    const clientId = `Homie-${this.id}`;
    const error = await this.env.link.connect(clientId, this.profile.will(this.root), {
      onMessage: message => {
        if (epoch === this.#epoch) this.#receive(message, epoch);
      },
      onClose: reason => {
        if (epoch === this.#epoch) this.#lost(reason);
      },
    });
    if (epoch !== this.#epoch) {
      if (!error) this.env.link.drop();
      return;
    }
    if (error) {
      this.note(`cannot connect: ${error}`);
      this.#retryLater();
      return;
    }
    this.counters.connects++;
    this.#retries = 0;
    void this.#advertise(epoch);
  }

  #retryLater(): void {
    // homie-esp8266 retries at once, then backs off (1 s, 2 s, … up to a minute); jitter spreads a fleet
    const base = this.#retries === 0 ? 0 : Math.min(60_000, 1000 * 2 ** (this.#retries - 1));
    this.#retries++;
    this.later(base + this.env.random() * 1000, () => void this.#connect());
  }

  #lost(reason: string): void {
    this.note(`connection lost: ${reason}`);
    this.leave();
    this.setState('connecting');
    this.#retryLater();
  }

  async #advertise(epoch: number): Promise<void> {
    this.setState('advertising');
    const steps = this.profile.advertise(this.facts());
    let last: Promise<boolean> = Promise.resolve(true);
    for (const step of steps) last = this.send(step, false, epoch);
    const ok = await last;
    if (!ok || epoch !== this.#epoch) return;
    this.setState('ready');
    this.counters.advertised++;
    this.emit('advertised', this.fw);
    if (this.#pendingReboot) {
      const reason = this.#pendingReboot;
      this.#pendingReboot = null;
      this.emit('rebooted', {reason, fw: this.fw});
    }
    const firstSinceBoot = !this.#setupDone;
    this.#setupDone = true;
    runSketch(this, epoch, firstSinceBoot);
  }

  /** Stop everything tied to the current connection; returns the link for the caller to end. */
  leave(): DeviceLink {
    this.#epoch++;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#outbox.clear();
    this.#inbox = Promise.resolve();
    return this.env.link;
  }

  setState(state: DeviceState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.emit('state', state);
  }

  later(ms: number, run: () => void, epoch = this.#epoch): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (epoch === this.#epoch) run();
    }, ms);
    this.#timers.add(timer);
  }

  /** Run `run` every `ms` while this connection lasts (at once too when `now`). */
  every(ms: number, run: () => void, epoch: number, now: boolean): void {
    if (now) run();
    const tick = () => this.later(ms, () => {
      run();
      tick();
    }, epoch);
    tick();
  }

  // ---- sending ---------------------------------------------------------------------------------------

  /** Queue a packet; device order is kept, the fleet pacer bounds the rate. Resolves on the broker's ack. */
  send(step: Step, urgent: boolean, epoch = this.#epoch): Promise<boolean> {
    return this.#outbox.send(step, urgent, epoch);
  }

  /** The publish of a property value, with the generation's QoS, retained. */
  valueStep(key: string, value: string): Step {
    return {kind: 'pub', topic: `${this.root}/${key}`, payload: value, qos: this.profile.qos as QoS, retain: true};
  }

  facts(): DeviceFacts {
    return {
      id: this.id, prefix: this.prefix, name: this.name, mac: this.identity.mac, ip: this.identity.ip, fw: this.fw,
      implementation: this.family, otaEnabled: this.otaEnabled, statsInterval: this.statsInterval, values: this.#values,
      configJson: JSON.stringify({
        name: this.name, device_id: this.id, device_stats_interval: this.statsInterval,
        wifi: {ssid: 'homie-sim'}, mqtt: {host: this.env.mqttHost, port: this.env.mqttPort, base_topic: `${this.prefix}/`, auth: false},
        ota: {enabled: this.otaEnabled}, settings: {},
      }),
    };
  }

  // ---- receiving -------------------------------------------------------------------------------------

  #receive(message: Message, epoch: number): void {
    if (this.generation === 'v1') {
      // PubSubClient drops whatever does not fit its packet buffer
      if (5 + topicBytes(message.topic) + message.total > PUBSUB_MAX_PACKET) return;
    } else if (this.profile.ota === 'push' && topicBytes(message.topic) > MAX_TOPIC) {
      return;
    }
    if (message.total === 0) return; // "no empty message possible"
    // one message at a time, in order: a firmware being flashed holds up what came after it
    this.#inbox = this.#inbox.then(() => (epoch === this.#epoch && this.#state !== 'stalled' ? handleMessage(this, message, epoch) : undefined))
      .catch(error => this.note(`error handling ${message.topic}: ${(error as Error).message}`));
  }
}
