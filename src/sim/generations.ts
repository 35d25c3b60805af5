import type {QoS, Will} from '../mqtt/packets.js';
import {SKETCH_NODES} from './sketch.js';

/**
 * What each simulated firmware generation publishes, in which order, with which QoS and retain flag
 * (protocols.md §1.9 for homie-esp8266; §1.5/§1.6 for the Homie 4 and 5 devices). Each profile turns
 * a device's facts into the exact packet sequence of its (re)connect, its periodic stats and its
 * prepare-to-sleep message.
 */
export type Generation = 'v1' | 'v2' | 'v2.3' | 'v3' | 'homie4' | 'homie5';

export const GENERATIONS: readonly Generation[] = ['v1', 'v2', 'v2.3', 'v3', 'homie4', 'homie5'];

/** Names accepted on the command line and in `generations` option strings. */
export const GENERATION_ALIASES: Readonly<Record<string, Generation>> = {
  v1: 'v1', 'v1.5': 'v1', v2: 'v2', 'v2.0': 'v2', 'v2.3': 'v2.3', 'v2.0.1': 'v2.3', v3: 'v3', 'v3.0': 'v3',
  homie4: 'homie4', h4: 'homie4', v4: 'homie4', homie5: 'homie5', h5: 'homie5', v5: 'homie5',
};

export type Step =
  | {readonly kind: 'pub'; readonly topic: string; readonly payload: string; readonly qos: QoS; readonly retain: boolean}
  | {readonly kind: 'sub'; readonly filter: string; readonly qos: QoS};

/** The device facts a profile needs. */
export interface DeviceFacts {
  readonly id: string;
  /** base topic without trailing slash, e.g. homie */
  readonly prefix: string;
  readonly name: string;
  readonly mac: string;
  readonly ip: string;
  readonly fw: {readonly name: string; readonly version: string; readonly checksum: string};
  readonly implementation: 'esp8266' | 'esp32';
  readonly otaEnabled: boolean;
  /** device_stats_interval, seconds */
  readonly statsInterval: number;
  readonly configJson: string;
  /** current property values by "node/property" */
  readonly values: ReadonlyMap<string, string>;
}

export interface StatsTimer {
  readonly seconds: number;
  steps(facts: DeviceFacts, uptime: number, signal: number): Step[];
}

export interface Profile {
  readonly generation: Generation;
  /** what `$homie` says (or the `homie` field of Homie 5's $description); null for Homie 1.x */
  readonly homie: string | null;
  readonly defaultPrefix: string;
  /** homie-esp8266 push OTA, Homie 1.x `$ota` + HTTP pull, or none */
  readonly ota: 'push' | 'pull' | 'none';
  /** QoS of ordinary publishes (PubSubClient in v1 can only send QoS 0) */
  readonly qos: QoS;
  root(facts: Pick<DeviceFacts, 'prefix' | 'id'>): string;
  will(root: string): Will;
  advertise(facts: DeviceFacts): Step[];
  stats: readonly StatsTimer[];
  sleep(root: string): Step;
}

const pub = (topic: string, payload: string, qos: QoS = 1, retain = true): Step => ({kind: 'pub', topic, payload, qos, retain});
const sub = (filter: string, qos: QoS): Step => ({kind: 'sub', filter, qos});
const rootOf = (f: Pick<DeviceFacts, 'prefix' | 'id'>) => `${f.prefix}/${f.id}`;

function valueSteps(facts: DeviceFacts, root: string, qos: QoS): Step[] {
  return [...facts.values].map(([key, value]) => pub(`${root}/${key}`, value, qos));
}

/** homie-esp8266 v2/v3 subscriptions, in order (BootNormal::_advertise). */
function esp8266Subscriptions(facts: DeviceFacts, root: string): Step[] {
  return [
    sub(`${root}/$implementation/ota/firmware/+`, 1),
    sub(`${root}/$implementation/reset`, 1),
    sub(`${root}/$implementation/config/set`, 1),
    sub(`${root}/+/+/set`, 2),
    sub(`${facts.prefix}/$broadcast/+`, 2),
  ];
}

function implementationSteps(facts: DeviceFacts, root: string, version: string): Step[] {
  return [
    pub(`${root}/$implementation`, facts.implementation),
    pub(`${root}/$implementation/config`, facts.configJson),
    pub(`${root}/$implementation/version`, version),
    pub(`${root}/$implementation/ota/enabled`, facts.otaEnabled ? 'true' : 'false'),
  ];
}

const v1: Profile = {
  generation: 'v1', homie: null, defaultPrefix: 'devices', ota: 'pull', qos: 0, root: rootOf,
  // PubSubClient connect(clientId, "$online", 2, true, "false")
  will: root => ({topic: `${root}/$online`, payload: 'false', qos: 2, retain: true}),
  advertise(f) {
    const root = rootOf(f);
    const steps = [
      pub(`${root}/$online`, 'true', 0), // 1.4/1.5 send $online first
      pub(`${root}/$nodes`, SKETCH_NODES.map(n => `${n.id}:${n.type}`).join(','), 0),
      pub(`${root}/$name`, f.name, 0),
      pub(`${root}/$localip`, f.ip, 0),
      pub(`${root}/$fwname`, f.fw.name, 0),
      pub(`${root}/$fwversion`, f.fw.version, 0),
      sub(`${root}/+/+/set`, 1),
      sub(`${root}/$reset`, 1),
    ];
    if (f.otaEnabled) steps.push(sub(`${root}/$ota`, 1));
    return steps;
  },
  stats: [
    // $signal every 5 minutes, $uptime every 2 minutes (scaled with the stats interval, 60 s by default)
    {seconds: 300, steps: (f, _uptime, signal) => [pub(`${rootOf(f)}/$signal`, String(signal), 0)]},
    {seconds: 120, steps: (f, uptime) => [pub(`${rootOf(f)}/$uptime`, String(uptime), 0)]},
  ],
  sleep: root => pub(`${root}/$online`, 'false', 0),
};

const v2: Profile = {
  generation: 'v2', homie: '2.0.0', defaultPrefix: 'homie', ota: 'push', qos: 1, root: rootOf,
  will: root => ({topic: `${root}/$online`, payload: 'false', qos: 1, retain: true}),
  advertise(f) {
    const root = rootOf(f);
    return [
      pub(`${root}/$homie`, '2.0.0'),
      pub(`${root}/$mac`, f.mac),
      pub(`${root}/$name`, f.name),
      pub(`${root}/$localip`, f.ip),
      pub(`${root}/$stats/interval`, '0'), // STATS_SEND_INTERVAL_SEC / 1000 in integers: 60/1000
      pub(`${root}/$fw/name`, f.fw.name),
      pub(`${root}/$fw/version`, f.fw.version),
      pub(`${root}/$fw/checksum`, f.fw.checksum),
      ...implementationSteps(f, root, '2.0.0'),
      ...SKETCH_NODES.flatMap(n => [
        pub(`${root}/${n.id}/$type`, n.type),
        pub(`${root}/${n.id}/$properties`, n.properties.map(p => `${p.id}${p.settable ? ':settable' : ''}`).join(',')),
      ]),
      ...esp8266Subscriptions(f, root),
      pub(`${root}/$online`, 'true'),
    ];
  },
  stats: [{seconds: 60, steps: (f, uptime, signal) => [pub(`${rootOf(f)}/$stats/signal`, String(signal)), pub(`${rootOf(f)}/$stats/uptime`, String(uptime))]}],
  sleep: root => pub(`${root}/$online`, 'false'),
};

/** The v2.3 branch: `$homie` 2.0.1 adds `$nodes`, and `$name` moves before `$mac`. */
const v23: Profile = {
  ...v2,
  generation: 'v2.3', homie: '2.0.1',
  advertise(f) {
    const root = rootOf(f);
    return [
      pub(`${root}/$homie`, '2.0.1'),
      pub(`${root}/$name`, f.name),
      pub(`${root}/$mac`, f.mac),
      pub(`${root}/$localip`, f.ip),
      pub(`${root}/$nodes`, SKETCH_NODES.map(n => n.id).join(',')),
      pub(`${root}/$stats/interval`, '0'),
      pub(`${root}/$fw/name`, f.fw.name),
      pub(`${root}/$fw/version`, f.fw.version),
      pub(`${root}/$fw/checksum`, f.fw.checksum),
      ...implementationSteps(f, root, '2.0.0'), // HOMIE_ESP8266_VERSION stayed 2.0.0 on that branch
      ...SKETCH_NODES.flatMap(n => [
        pub(`${root}/${n.id}/$type`, n.type),
        pub(`${root}/${n.id}/$properties`, n.properties.map(p => `${p.id}${p.settable ? ':settable' : ''}`).join(',')),
      ]),
      ...esp8266Subscriptions(f, root),
      pub(`${root}/$online`, 'true'),
    ];
  },
};

const v3: Profile = {
  generation: 'v3', homie: '3.0.1', defaultPrefix: 'homie', ota: 'push', qos: 1, root: rootOf,
  will: root => ({topic: `${root}/$state`, payload: 'lost', qos: 1, retain: true}),
  advertise(f) {
    const root = rootOf(f);
    return [
      pub(`${root}/$state`, 'init'),
      pub(`${root}/$homie`, '3.0.1'),
      pub(`${root}/$name`, f.name),
      pub(`${root}/$mac`, f.mac),
      pub(`${root}/$localip`, f.ip),
      pub(`${root}/$nodes`, SKETCH_NODES.map(n => n.id).join(',')),
      pub(`${root}/$stats`, 'uptime'), // only uptime is listed, though signal is sent too
      pub(`${root}/$stats/interval`, String(f.statsInterval + 5)), // +5 s grace
      pub(`${root}/$fw/name`, f.fw.name),
      pub(`${root}/$fw/version`, f.fw.version),
      pub(`${root}/$fw/checksum`, f.fw.checksum),
      ...implementationSteps(f, root, '3.0.0'),
      ...SKETCH_NODES.flatMap(n => [
        pub(`${root}/${n.id}/$name`, n.name),
        pub(`${root}/${n.id}/$type`, n.type),
        pub(`${root}/${n.id}/$properties`, n.properties.map(p => p.id).join(',')),
        ...n.properties.flatMap(p => [
          pub(`${root}/${n.id}/${p.id}/$name`, p.name),
          ...(p.settable ? [pub(`${root}/${n.id}/${p.id}/$settable`, 'true')] : []),
          pub(`${root}/${n.id}/${p.id}/$datatype`, p.datatype),
          ...(p.unit ? [pub(`${root}/${n.id}/${p.id}/$unit`, p.unit)] : []),
          ...(p.format ? [pub(`${root}/${n.id}/${p.id}/$format`, p.format)] : []),
        ]),
      ]),
      ...esp8266Subscriptions(f, root),
      pub(`${root}/$state`, 'ready'),
    ];
  },
  stats: [{
    seconds: 60,
    steps: (f, uptime, signal) => [
      pub(`${rootOf(f)}/$stats/interval`, String(f.statsInterval + 5)),
      pub(`${rootOf(f)}/$stats/signal`, String(signal)),
      pub(`${rootOf(f)}/$stats/uptime`, String(uptime)),
    ],
  }],
  sleep: root => pub(`${root}/$state`, 'sleeping'),
};

/** A Homie 4.0.0 device with the legacy firmware and stats extensions (not homie-esp8266: no OTA). */
const homie4: Profile = {
  generation: 'homie4', homie: '4.0.0', defaultPrefix: 'homie', ota: 'none', qos: 1, root: rootOf,
  will: root => ({topic: `${root}/$state`, payload: 'lost', qos: 1, retain: true}),
  advertise(f) {
    const root = rootOf(f);
    return [
      pub(`${root}/$state`, 'init'),
      pub(`${root}/$homie`, '4.0.0'),
      pub(`${root}/$name`, f.name),
      pub(`${root}/$extensions`, 'org.homie.legacy-firmware:0.1.1:[4.x],org.homie.legacy-stats:0.1.1:[4.x]'),
      pub(`${root}/$localip`, f.ip),
      pub(`${root}/$mac`, f.mac),
      pub(`${root}/$fw/name`, f.fw.name),
      pub(`${root}/$fw/version`, f.fw.version),
      pub(`${root}/$nodes`, SKETCH_NODES.map(n => n.id).join(',')),
      ...SKETCH_NODES.flatMap(n => [
        pub(`${root}/${n.id}/$name`, n.name),
        pub(`${root}/${n.id}/$type`, n.type),
        pub(`${root}/${n.id}/$properties`, n.properties.map(p => p.id).join(',')),
        ...n.properties.flatMap(p => [
          pub(`${root}/${n.id}/${p.id}/$name`, p.name),
          pub(`${root}/${n.id}/${p.id}/$datatype`, p.datatype),
          ...(p.settable ? [pub(`${root}/${n.id}/${p.id}/$settable`, 'true')] : []),
          ...(p.unit ? [pub(`${root}/${n.id}/${p.id}/$unit`, p.unit)] : []),
          ...(p.format ? [pub(`${root}/${n.id}/${p.id}/$format`, p.format)] : []),
        ]),
      ]),
      pub(`${root}/$stats/interval`, String(f.statsInterval)),
      ...valueSteps(f, root, 1),
      sub(`${root}/+/+/set`, 1),
      sub(`${f.prefix}/$broadcast/#`, 1),
      pub(`${root}/$state`, 'ready'),
    ];
  },
  stats: [{seconds: 60, steps: (f, uptime, signal) => [pub(`${rootOf(f)}/$stats/uptime`, String(uptime)), pub(`${rootOf(f)}/$stats/signal`, String(signal))]}],
  sleep: root => pub(`${root}/$state`, 'sleeping'),
};

/** A Homie 5 device: `homie/5/<id>`, everything in `$description`, retained at QoS 2. */
const homie5: Profile = {
  generation: 'homie5', homie: '5.0', defaultPrefix: 'homie', ota: 'none', qos: 2,
  root: f => `${f.prefix}/5/${f.id}`,
  will: root => ({topic: `${root}/$state`, payload: 'lost', qos: 2, retain: true}),
  advertise(f) {
    const root = `${f.prefix}/5/${f.id}`;
    return [
      pub(`${root}/$state`, 'init', 2),
      pub(`${root}/$description`, homie5Description(f), 2),
      ...valueSteps(f, root, 2),
      sub(`${root}/+/+/set`, 2),
      sub(`${f.prefix}/5/$broadcast/#`, 2),
      pub(`${root}/$state`, 'ready', 2),
    ];
  },
  stats: [],
  sleep: root => pub(`${root}/$state`, 'sleeping', 2),
};

export function homie5Description(f: Pick<DeviceFacts, 'name'>): string {
  const nodes = Object.fromEntries(SKETCH_NODES.map(n => [n.id, {
    name: n.name,
    type: n.type,
    properties: Object.fromEntries(n.properties.map(p => [p.id, {
      name: p.name,
      datatype: p.datatype,
      ...(p.settable ? {settable: true} : {}),
      ...(p.unit ? {unit: p.unit} : {}),
      ...(p.format ? {format: p.format} : {}),
    }])),
  }]));
  return JSON.stringify({homie: '5.0', version: 1, name: f.name, nodes});
}

export const PROFILES: Readonly<Record<Generation, Profile>> = {v1, v2, 'v2.3': v23, v3, homie4, homie5};
