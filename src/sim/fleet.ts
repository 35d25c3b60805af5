import type {DeviceSpec, DeviceState} from './device-types.js';
import {SimDevice} from './device.js';
import {assignFaults} from './faults.js';
import {FAITHFUL_LIMIT, buildSpecs, type FleetOptions} from './fleet-options.js';
import {seededRandom} from './identity.js';
import {DirectLink, type Credentials} from './link.js';
import type {Endpoint} from './mqtt/session.js';
import {MuxPool} from './mux.js';
import {Pacer} from './pacer.js';

export interface FleetSummary {
  readonly devices: number;
  readonly states: Readonly<Partial<Record<DeviceState, number>>>;
  readonly otaStarted: number;
  readonly otaFlashed: number;
  readonly otaFailed: number;
  /** packets sent since the fleet started */
  readonly packets: number;
  /** packets waiting for the rate bound */
  readonly waiting: number;
}

/** A running simulated fleet (startFleet). */
export interface Fleet {
  readonly devices: readonly SimDevice[];
  readonly mode: 'faithful' | 'multiplexed';
  readonly url: string;
  /** by id, or by key "<prefix>/<id>" */
  device(idOrKey: string): SimDevice | undefined;
  /** Resolve once every device has advertised at least once (sleepy ones included). */
  waitAllAdvertised(timeoutMs?: number): Promise<void>;
  summary(): FleetSummary;
  /** Stop every device: by default without DISCONNECT, so the broker marks them lost, as when they lose power. */
  stop(options?: {will?: boolean}): Promise<void>;
}

export function parseBrokerUrl(url: string): Endpoint & Credentials {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`broker "${url}": expected mqtt://host[:port] or mqtts://host[:port]`);
  }
  const scheme = parsed.protocol.replace(':', '');
  if (!['mqtt', 'mqtts', 'tcp', 'ssl'].includes(scheme)) throw new Error(`broker "${url}": unsupported scheme ${scheme}://; use mqtt:// or mqtts://`);
  const tls = scheme === 'mqtts' || scheme === 'ssl';
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: Number(parsed.port || (tls ? 8883 : 1883)),
    tls,
    ...(parsed.username ? {username: decodeURIComponent(parsed.username)} : {}),
    ...(parsed.password ? {password: decodeURIComponent(parsed.password)} : {}),
  };
}

/**
 * Start a fleet of simulated Homie devices against a broker. Resolves at once with the devices
 * connecting (paced); `waitAllAdvertised()` waits for them. Throws on bad options.
 */
export function startFleet(options: FleetOptions): Fleet {
  const broker = parseBrokerUrl(options.url);
  const endpoint: Endpoint = {host: broker.host, port: broker.port, tls: broker.tls, insecure: options.insecure};
  const credentials: Credentials = {username: options.username ?? broker.username, password: options.password ?? broker.password};
  const seed = options.seed ?? 'homie-sim';
  const random = seededRandom(seed);
  const specs: DeviceSpec[] = buildSpecs(options);
  const mode = options.mode === 'faithful' || options.mode === 'multiplexed' ? options.mode : specs.length > FAITHFUL_LIMIT ? 'multiplexed' : 'faithful';
  const pool = mode === 'multiplexed' ? new MuxPool(endpoint, options.connections ?? 4, `homie-sim-${process.pid}-${Math.floor(random() * 1e6)}`, credentials) : null;
  const pacer = new Pacer(options.publishRate ?? 5000);
  const connectPacer = new Pacer(mode === 'multiplexed' ? Infinity : options.connectRate ?? 500);
  const otaHttpUrl = options.otaHttpUrl ?? `http://${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:9080/ota`;

  const devices = specs.map((spec, index) => new SimDevice(spec, {
    link: pool ? pool.createLink() : new DirectLink(endpoint, credentials),
    pacer,
    connectPacer,
    flashSpeed: options.flashSpeed ?? 40 * 1024,
    chunkSize: options.chunkSize ?? 1460,
    rebootDelay: options.rebootDelay ?? 3000,
    statsInterval: options.statsInterval ?? 60,
    otaHttpUrl,
    mqttHost: endpoint.host,
    mqttPort: endpoint.port,
    random: seededRandom(`${seed}:${index}`),
    seed,
    index,
    log: options.log,
  }));
  const byKey = new Map<string, SimDevice>();
  for (const device of devices) {
    if (byKey.has(device.key)) throw new Error(`two simulated devices are both ${device.key}; give them different ids`);
    byKey.set(device.key, device);
    if (!byKey.has(device.id)) byKey.set(device.id, device);
  }
  if (options.faults && options.faults.length > 0) {
    const faults = assignFaults(devices.map(d => d.id), options.faults, random);
    devices.forEach((device, i) => {
      if (Object.keys(faults[i]!).length > 0) device.inject(faults[i]!);
    });
  }
  for (const device of devices) device.start();

  let stopping: Promise<void> | null = null;
  return {
    devices,
    mode,
    url: options.url,
    device: idOrKey => byKey.get(idOrKey),
    waitAllAdvertised: (timeoutMs = 60_000) => waitAllAdvertised(devices, timeoutMs),
    summary: () => summarize(devices, pacer),
    stop: (stopOptions = {}) => {
      stopping ??= (async () => {
        pacer.stop();
        connectPacer.stop();
        await Promise.all(devices.map(d => d.stop({will: stopOptions.will ?? true})));
        await pool?.stop();
      })();
      return stopping;
    },
  };
}

/** Resolve once every device advertised at least once; reject naming the first that did not. */
function waitAllAdvertised(devices: readonly SimDevice[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let missing = devices.filter(d => d.counters.advertised === 0);
    if (missing.length === 0) return resolve();
    const timer = setInterval(() => {
      missing = missing.filter(d => d.counters.advertised === 0);
      if (missing.length === 0) {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve();
      }
    }, 50);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`${missing.length} of ${devices.length} simulated devices did not advertise within ${timeoutMs} ms (first: ${missing[0]?.id}, ${missing[0]?.state}${missing[0]?.history.at(-1) ? `: ${missing[0]?.history.at(-1)?.text}` : ''})`));
    }, timeoutMs);
  });
}

/** Devices by state, OTA counters and the publish pacer's figures. */
function summarize(devices: readonly SimDevice[], pacer: Pacer): ReturnType<Fleet['summary']> {
  const states: Partial<Record<DeviceState, number>> = {};
  let otaStarted = 0;
  let otaFlashed = 0;
  let otaFailed = 0;
  for (const d of devices) {
    states[d.state] = (states[d.state] ?? 0) + 1;
    otaStarted += d.counters.otaStarted;
    otaFlashed += d.counters.otaFlashed;
    otaFailed += d.counters.otaFailed;
  }
  return {devices: devices.length, states, otaStarted, otaFlashed, otaFailed, packets: pacer.granted, waiting: pacer.waiting};
}
