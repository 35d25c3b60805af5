import type {Config} from '../config/schema.js';
import {VERSION} from '../version.js';
import {EventBus} from './bus.js';
import type {EngineEvents, Notice} from './events.js';
import {HttpServer, sendJson} from './http/server.js';
import type {LockEndpoints} from './instance-lock.js';
import {Logger, type Log} from './log.js';
import {MqttConnection, type MqttStatus} from './mqtt/connection.js';
import {EmbeddedBroker} from './mqtt/embedded-broker.js';
import {publicBaseUrl} from './util/net.js';
import {JumpClock} from './util/clock.js';
import {humanDuration} from './util/text.js';
import {Inventory} from './inventory/inventory.js';
import {inventoryRoutes} from './inventory/http-api.js';
import {FirmwareStore} from './firmware/store.js';
import {firmwareRoutes} from './firmware/http-routes.js';
import {OtaService} from './ota/ota-service.js';
import {pullEndpoint} from './ota/pull-endpoint.js';
import {jobsRoutes} from './ota/jobs-api.js';
import {scopeResolver} from './ota/scope.js';
import {PolicyService} from './policy/policy-service.js';
import {policyRoutes} from './policy/http-routes.js';

export interface EngineOptions {
  readonly logger?: Logger;
  readonly now?: () => number;
  /** embedded broker: how long a client that stops reading may hold up delivery (tests shorten it) */
  readonly brokerDrainTimeoutMs?: number;
}

/**
 * One part of the engine with a lifecycle. Its constructor stores what it is given (and builds its
 * own parts); subscriptions and routes are made by the Engine's constructor, loading from disk and
 * connecting by `start()`.
 */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The worker: embedded broker, HTTP server, MQTT connection and the features built on them. It knows
 * nothing of the terminal UI; the dashboard and the headless printer both watch `bus` and read state.
 * Services start in a fixed order and stop in reverse; `stop()` is the one shutdown path.
 *
 * The constructor is the one place where features are built and connected: each feature is given
 * the few narrow things it uses (settings, a log, the clock, a notice sink, the MQTT facet, a lookup
 * of another feature), its handlers are connected to MQTT, the clock and the bus here, and its HTTP
 * routes registered here. No feature imports the Engine.
 */
export class Engine {
  readonly bus: EventBus<EngineEvents>;
  readonly logger: Logger;
  readonly log: Log;
  readonly http: HttpServer;
  readonly mqtt: MqttConnection;
  readonly broker: EmbeddedBroker | null;
  readonly firmware: FirmwareStore;
  readonly inventory: Inventory;
  readonly ota: OtaService;
  readonly policies: PolicyService;
  readonly startedAt: number;
  readonly now: () => number;
  /** the wall clock behind `now`; features that measure waits in wall time listen for its jumps */
  readonly clock: JumpClock;
  readonly #startedMono = performance.now();
  readonly #services: Service[] = [];
  readonly #started: Service[] = [];
  #stopping: Promise<void> | null = null;

  constructor(readonly config: Config, options: EngineOptions = {}) {
    this.clock = new JumpClock(options.now ?? Date.now);
    this.now = () => this.clock.now();
    this.startedAt = this.now();
    this.logger = options.logger ?? new Logger({debug: config.debug, file: config.logFile, maxFileSize: config.logMaxSize});
    this.logger.redact(config.mqtt.password, config.http.password);
    this.log = this.logger.child('app');
    this.clock.onJump(delta => this.notice('app', 'warn', `the system clock jumped ${delta > 0 ? 'forward' : 'back'} by ${humanDuration(Math.round(Math.abs(delta) / 1000))}; waits in progress (OTA timeouts, saves, drops settling) were moved with it, times shown before the jump keep the old clock`));
    const busLog = this.logger.child('bus');
    this.bus = new EventBus<EngineEvents>((event, error) => busLog.error(`listener of ${event} failed: ${(error as Error).stack ?? error}`));

    // MQTT_USERNAME/MQTT_PASSWORD with the embedded broker: the one account devices and homie-ota log in with
    const brokerAccount = config.mqtt.username ? {username: config.mqtt.username, password: config.mqtt.password ?? ''} : undefined;
    this.broker = config.mqtt.embedded ? new EmbeddedBroker(config.mqtt.brokerHost, config.mqtt.brokerPort, this.logger.child('broker'), {account: brokerAccount, drainTimeoutMs: options.brokerDrainTimeoutMs}) : null;
    this.http = new HttpServer(config.http, this.logger.child('http'));
    this.mqtt = new MqttConnection(config.mqtt, this.logger.child('mqtt'), this.now);
    this.mqtt.onStatus(status => this.bus.emit('mqtt', status));

    this.http.route('GET', '/healthz', ({res}) => sendJson(res, 200, this.health()), {auth: false});

    // features: built from narrow pieces, then connected
    this.firmware = new FirmwareStore({
      settings: {firmwareRoot: config.firmwareRoot, readonly: config.readonly, watch: config.watch, uploadLimit: config.http.uploadLimit, watchGlobs: config.watchGlobs},
      log: this.logger.child('firmware'),
      now: this.now,
      notice: (level, text) => this.notice('firmware', level, text),
      changed: () => this.bus.emit('firmware'),
    });
    this.inventory = new Inventory({
      settings: {firmwareRoot: config.firmwareRoot, prefixes: config.mqtt.prefixes, readonly: config.readonly},
      mqtt: this.mqtt,
      firmware: this.firmware,
      log: this.logger.child('inventory'),
      now: this.now,
      notice: (level, text) => this.notice('inventory', level, text),
      changed: keys => this.bus.emit('inventory', keys),
      devicesChanged: keys => this.bus.emit('devices', keys),
    });
    this.#connectFeatures();
    this.ota = new OtaService({
      clock: this.clock, log: this.logger.child('ota'), notices: this, mqtt: this.mqtt, devices: this.inventory, firmware: this.firmware,
      settings: config, otaUrl: () => this.otaUrl, jobsChanged: () => this.bus.emit('jobs'),
    });
    this.#connectOta();
    this.policies = new PolicyService({
      settings: {firmwareRoot: config.firmwareRoot, readonly: config.readonly, concurrency: config.concurrency, autoRollout: config.autoRollout ?? []},
      log: this.logger.child('policy'), now: this.now, notice: (level, text) => this.notice('policy', level, text), changed: () => this.bus.emit('policies'),
      firmware: this.firmware, devices: this.inventory, ota: this.ota,
    });
    this.#connectPolicies();
    // last: its /api/devices/<key> routes take keys of several segments, and would take
    // DELETE /api/devices/<id>/pin for a device named "<id>/pin"
    this.http.register(inventoryRoutes(this.inventory));

    // Order matters: stores load before anything can reach them; the broker before our client.
    this.#services.push(this.firmware, this.inventory, this.ota, this.policies);
    if (this.broker) {
      const broker = this.broker;
      this.#services.push({name: 'embedded broker', start: () => broker.start(), stop: () => broker.stop()});
    }
    this.#services.push({name: 'http', start: () => this.http.start(), stop: () => this.http.stop()});
    this.#services.push({
      name: 'mqtt',
      start: async () => {
        if (this.broker) this.mqtt.setPort(this.broker.boundPort);
        this.mqtt.start();
      },
      stop: () => this.mqtt.stop(),
    });
  }

  /** MQTT, clock and bus handlers of the firmware store and the inventory, and the firmware store's routes. */
  #connectFeatures(): void {
    const {firmware, inventory} = this;
    this.clock.onJump(delta => firmware.clockJumped(delta));
    this.http.register(firmwareRoutes(firmware));
    this.mqtt.onMessage((topic, payload, packet) => inventory.onMessage(topic, payload, packet));
    this.mqtt.onConnect(() => inventory.connected());
    this.mqtt.onStatus(status => {
      if (status.state !== 'connected') inventory.disconnected();
    });
    this.bus.on('firmware', () => inventory.firmwareChanged());
  }

  /** The OTA queue's handlers (status messages, inventory changes, clock jumps, firmware in use) and its routes. */
  #connectOta(): void {
    const {ota, inventory, firmware, config} = this;
    this.mqtt.onMessage((topic, payload, packet) => ota.statusMessage(topic, payload, packet));
    this.bus.on('inventory', () => ota.schedule());
    this.clock.onJump(delta => ota.clockJumped(delta));
    firmware.setInUseCheck(record => ota.inUse(record));
    const pull = pullEndpoint({log: this.logger.child('ota-http'), devices: inventory, firmware, jobs: ota.pullJobs, path: config.http.endpoint, auth: config.http.endpointAuth});
    this.bus.on('firmware', () => pull.firmwareChanged());
    this.http.register([pull.route, ...jobsRoutes({jobs: ota, devices: inventory, clock: this.clock, resolveScope: scopeResolver(inventory), readonly: config.readonly})]);
  }

  /** Automatic rollouts: they look again when firmware is filed, the store or the inventory changes; their routes. */
  #connectPolicies(): void {
    const {policies, firmware} = this;
    firmware.onFiled(event => policies.filed(event));
    this.bus.on('firmware', () => policies.schedule());
    this.bus.on('devices', () => policies.schedule());
    this.bus.on('jobs', () => policies.schedule());
    this.http.register(policyRoutes(policies, this.inventory, this.config.readonly));
  }

  /** Add a feature service; it starts after those added before it and stops before them. */
  addService(service: Service, options: {before?: string} = {}): void {
    const index = options.before ? this.#services.findIndex(s => s.name === options.before) : -1;
    if (index >= 0) this.#services.splice(index, 0, service);
    else this.#services.push(service);
  }

  get mqttStatus(): MqttStatus {
    return this.mqtt.status;
  }

  /** The URL devices must use for HTTP updates, e.g. http://192.168.1.10:9080/ota */
  get otaUrl(): string {
    const h = this.config.http;
    return `${publicBaseUrl({baseUrl: h.baseUrl, host: h.host, port: this.http.boundPort, tls: this.http.tls})}${h.endpoint}`;
  }

  /**
   * How a program on this machine reaches this instance (recorded in the folder lock): the HTTP URL on
   * the loopback address when the server listens on every address, the broker's port; never a password.
   */
  get localEndpoints(): LockEndpoints {
    const h = this.config.http;
    const any = h.host === '0.0.0.0' || h.host === '::' || h.host === '';
    const host = any ? '127.0.0.1' : h.host.includes(':') ? `[${h.host}]` : h.host;
    const port = this.http.boundPort;
    return {
      http: {url: `${this.http.tls ? 'https' : 'http'}://${host}:${port}`, port, tls: this.http.tls, auth: this.http.authEnabled},
      broker: this.broker ? {embedded: true, port: this.broker.boundPort} : {embedded: false, url: this.mqtt.url},
    };
  }

  get readonly(): boolean {
    return this.config.readonly;
  }

  /** Report an outcome to the user: the Log view, the log file, the headless output. */
  notice(area: string, level: Notice['level'], text: string): void {
    const notice: Notice = {time: this.now(), level, area, text};
    this.logger.write(level, area, text);
    this.bus.emit('notice', notice);
  }

  health(): Record<string, unknown> {
    const mqtt = this.mqtt.status;
    return {
      status: mqtt.state === 'connected' ? 'ok' : 'degraded',
      version: VERSION,
      // monotonic: a jump of the wall clock never makes it negative
      uptime: Math.round((performance.now() - this.#startedMono) / 1000),
      mqtt: {state: mqtt.state, url: mqtt.url, since: new Date(mqtt.since).toISOString(), ...(mqtt.lastError ? {lastError: mqtt.lastError} : {})},
      broker: this.broker ? {embedded: true, port: this.broker.boundPort, clients: this.broker.clients, login: Boolean(this.broker.options.account)} : {embedded: false},
      readonly: this.readonly,
      ...(this.firmware.builds ? {watch: {patterns: this.firmware.builds.patterns, unmatched: this.firmware.builds.unmatched()}} : {}),
      inventory: this.inventory.health(),
    };
  }

  /** Start every service in order. A failure stops what was started and is rethrown. */
  async start(): Promise<void> {
    this.log.info(`homie-ota ${VERSION} starting${this.config.configFile ? ` with ${this.config.configFile}` : ' on defaults (no homie-ota.ini)'}`);
    for (const service of this.#services) {
      try {
        await service.start();
        this.#started.push(service);
      } catch (error) {
        this.log.error(`${service.name} failed to start: ${(error as Error).message}`);
        await this.stop();
        throw error;
      }
    }
  }

  /** Stop in reverse order; each step guarded and time-limited. Safe to call more than once. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      while (this.#started.length > 0) {
        const service = this.#started.pop()!;
        try {
          await Promise.race([service.stop(), new Promise(resolve => setTimeout(resolve, 3000).unref())]);
        } catch (error) {
          this.log.warn(`${service.name} did not stop cleanly: ${(error as Error).message}`);
        }
      }
      this.log.info('stopped');
      this.logger.close();
    })();
    return this.#stopping;
  }
}

/** Build the engine with every feature built and connected (not started: call `start()`). */
export function createEngine(config: Config, options: EngineOptions = {}): Engine {
  return new Engine(config, options);
}
