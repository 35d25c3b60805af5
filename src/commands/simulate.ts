import {optionRows, parseCommandLine, type CommandFlag} from '../args.js';
import {FAULT_HELP, parseFaultAssignment, parseRate, startFleet, type Fleet, type FleetOptions, type FleetSummary} from '../sim/index.js';
import {groupDigits} from '../engine/util/text.js';

/** `homie-ota simulate …`: run simulated Homie devices against a broker until Ctrl+C / SIGTERM. */
const FLAGS: readonly CommandFlag[] = [
  {name: 'mqtt', type: 'string', arg: 'URL', help: 'broker, required: mqtt://host[:port] or mqtts://… (user:pass@ ok)'},
  {name: 'devices', type: 'string', arg: 'N', help: 'how many devices (default 12)'},
  {name: 'generation', type: 'string', arg: 'MIX', help: 'weights, e.g. v3:80,v2:15,v1:5 (default v3); generations: v1 (1.5),\nv2 (2.0.0), v2.3 (Homie 2.0.1), v3 (3.0.1), homie4, homie5'},
  {name: 'prefix', type: 'string', arg: 'P', help: 'base topic of Homie 2+ devices (default homie)'},
  {name: 'v1-prefix', type: 'string', arg: 'P', help: 'base topic of Homie 1.x devices (default devices)'},
  {name: 'fw', type: 'string', arg: 'NAME@VERSION', help: 'firmware the devices start on (default homie-sim@1.0.0)'},
  {name: 'chip', type: 'string', arg: 'CHIP', help: 'esp8266 (default), esp32, or mix (a quarter of v3 devices on ESP32)'},
  {name: 'id-prefix', type: 'string', arg: 'P', help: 'device ids P-0001, P-0002 … (default: from the MAC, as real ones)'},
  {name: 'fault', type: 'string', arg: 'SPEC[:WHO]', multiple: true, help: 'a fault for some devices, repeatable; WHO is 10% (a share),\n3 (a count) or @id,id (named devices); without WHO one device'},
  {name: 'ota-http', type: 'string', arg: 'URL', help: 'where Homie 1.x devices pull firmware\n(default http://<broker host>:9080/ota)'},
  {name: 'flash-speed', type: 'string', arg: 'RATE', help: 'bytes per second written during an OTA (default 40K)'},
  {name: 'reboot-delay', type: 'string', arg: 'SECONDS', help: 'from reset to reconnecting (default 3)'},
  {name: 'stats-interval', type: 'string', arg: 'SEC', help: 'device_stats_interval (default 60)'},
  {name: 'progress-every', type: 'string', arg: 'N', help: '1: a 206 after every chunk (default); 100: every 100th (develop)'},
  {name: 'rate', type: 'string', arg: 'N', help: 'packets per second for the whole fleet (default 5000)'},
  {name: 'mode', type: 'string', arg: 'MODE', help: 'auto (default: faithful up to 2000 devices), faithful, multiplexed'},
  {name: 'connections', type: 'string', arg: 'K', help: 'multiplexed mode: publishing connections (default 4)'},
  {name: 'seed', type: 'string', arg: 'S', help: 'same seed, same fleet (ids, faults, values)'},
  {name: 'insecure', type: 'boolean', help: 'mqtts: accept any broker certificate'},
  {name: 'verbose', type: 'boolean', help: 'print device events (OTA outcomes, reboots, faults)'},
  {name: 'help', type: 'boolean', short: 'h', help: 'show this help'},
];

const HELP = `
  Run simulated Homie devices (homie-esp8266 v1.5, v2.0.0, v2.3, v3.0.1, a Homie 4 and a Homie 5
  device) against an MQTT broker, until Ctrl+C or SIGTERM.

  Usage
    $ homie-ota simulate --mqtt URL [options]

  Options
${optionRows(FLAGS, 24)}

  Faults (--fault)
${FAULT_HELP.map(([name, text]) => `    ${name.padEnd(24)}${text}`).join('\n')}

  Faithful mode gives every device its own connection and last will (a real broker marks it lost
  when it drops). Multiplexed mode shares a few connections for big fleets: each device still
  publishes its own messages, and the simulator publishes a device's will itself when it drops.

  Example
    $ homie-ota simulate --mqtt mqtt://localhost:1883 --devices 50 \\
        --generation v3:80,v2:15,v1:5 --fault flash-error=60:2 --fault sleepy=60/5:10%
`;

function whole(text: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${flag} "${text}": expected a whole number from ${min} to ${max}`);
  return value;
}

function seconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.replace(/s$/, ''));
  if (!Number.isFinite(value) || value < 0 || value > 86_400) throw new Error(`${flag} "${text}": expected seconds, e.g. 3`);
  return value;
}

export type SimulateOptions = FleetOptions & {readonly verbose?: boolean};

/** Options from the command line; throws with a message naming the flag. */
export function parseSimulateArgs(argv: string[]): SimulateOptions | 'help' {
  const cli = parseCommandLine(argv, FLAGS);
  if (!cli.ok) throw new Error(cli.error);
  const values = cli.flags as Readonly<Record<string, string | undefined>> & {fault?: string[]; help?: boolean; insecure?: boolean; verbose?: boolean};
  if (values.help) return 'help';
  if (cli.input.length > 0) throw new Error(`unexpected argument "${cli.input[0]}"; every option is a --flag`);
  if (!values.mqtt) throw new Error('--mqtt URL is required, e.g. --mqtt mqtt://localhost:1883');
  const mode = values.mode ?? 'auto';
  if (!['auto', 'faithful', 'multiplexed', 'mux'].includes(mode)) throw new Error(`--mode "${mode}": use auto, faithful or multiplexed`);
  const chip = values.chip;
  if (chip !== undefined && !['esp8266', 'esp32', 'esp32s2', 'esp32s3', 'esp32c3', 'esp32c6', 'mix'].includes(chip)) {
    throw new Error(`--chip "${chip}": use esp8266, esp32 (or esp32s3, esp32c3 …) or mix`);
  }
  const rebootDelay = seconds(values.rebootDelay, '--reboot-delay');
  return {
    url: values.mqtt,
    devices: whole(values.devices, '--devices', 0, 100_000) ?? 12,
    generations: values.generation,
    prefix: values.prefix?.replace(/\/+$/, ''),
    v1Prefix: values.v1Prefix?.replace(/\/+$/, ''),
    fw: values.fw,
    chip: chip as FleetOptions['chip'],
    idPrefix: values.idPrefix,
    faults: (values.fault ?? []).map(parseFaultAssignment),
    otaHttpUrl: values.otaHttp,
    flashSpeed: values.flashSpeed ? parseRate(values.flashSpeed) : undefined,
    rebootDelay: rebootDelay === undefined ? undefined : rebootDelay * 1000,
    statsInterval: whole(values.statsInterval, '--stats-interval', 1, 86_400),
    progressEvery: whole(values.progressEvery, '--progress-every', 1, 10_000),
    publishRate: whole(values.rate, '--rate', 1, 10_000_000),
    mode: mode === 'mux' ? 'multiplexed' : (mode as FleetOptions['mode']),
    connections: whole(values.connections, '--connections', 1, 1000),
    seed: values.seed,
    insecure: values.insecure,
    verbose: values.verbose,
  };
}

export function formatSummary(s: FleetSummary, perSecond: number): string {
  const order = ['ready', 'connecting', 'advertising', 'flashing', 'rebooting', 'ota-mode', 'sleeping', 'stalled', 'offline', 'config-mode', 'dead', 'off'] as const;
  const states = order.filter(k => s.states[k]).map(k => `${k} ${s.states[k]}`).join(' · ');
  const running = (s.states.flashing ?? 0) + (s.states['ota-mode'] ?? 0);
  const ota = s.otaStarted + s.otaFlashed + s.otaFailed > 0 ? ` | OTA ${running} running, ${s.otaFlashed} flashed, ${s.otaFailed} failed` : '';
  return `${new Date().toTimeString().slice(0, 8)} ${s.devices} devices: ${states}${ota} | ${groupDigits(s.packets)} packets (${groupDigits(Math.round(perSecond))}/s)${s.waiting ? `, ${s.waiting} waiting for the rate bound` : ''}`;
}

export async function main(argv: string[]): Promise<number> {
  let options: SimulateOptions | 'help';
  try {
    options = parseSimulateArgs(argv);
  } catch (error) {
    process.stderr.write(`homie-ota simulate: ${(error as Error).message}\nhomie-ota simulate --help lists the options.\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const {verbose, ...fleetOptions} = options;
  let fleet: Fleet;
  try {
    fleet = startFleet({...fleetOptions, ...(verbose ? {log: (device: string, text: string) => out(`${new Date().toTimeString().slice(0, 8)} ${device}: ${text}`)} : {})});
  } catch (error) {
    process.stderr.write(`homie-ota simulate: ${(error as Error).message}\n`);
    return 2;
  }
  const mix = new Map<string, number>();
  for (const d of fleet.devices) mix.set(d.generation, (mix.get(d.generation) ?? 0) + 1);
  out(`homie-ota simulate: ${fleet.devices.length} devices (${[...mix].map(([g, n]) => `${g} ${n}`).join(', ')}) → ${redact(options.url)}, ${fleet.mode} mode${fleet.mode === 'multiplexed' ? ' (shared connections; the simulator publishes the wills)' : ' (one connection and will per device)'}`);
  const faulty = fleet.devices.filter(d => Object.keys(d.faults).length > 0);
  if (faulty.length > 0) out(`faults: ${faulty.length} device(s), e.g. ${faulty.slice(0, 3).map(d => `${d.id}`).join(', ')}`);
  out('Ctrl+C stops them (without DISCONNECT, so the broker marks them lost).');

  const stopReports = reportFleet(fleet, out);

  return new Promise<number>(resolve => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        out('stopping anyway');
        process.exit(1);
      }
      stopping = true;
      stopReports();
      out(`${signal}: stopping ${fleet.devices.length} devices…`);
      void fleet.stop().then(() => {
        out('stopped');
        resolve(0);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGHUP', () => stop('SIGHUP'));
  });
}

/** Summary lines: at once when every device has advertised, after 3 s, then every 10 s. Returns what stops them. */
function reportFleet(fleet: Fleet, out: (line: string) => void): () => void {
  let lastPackets = 0;
  let lastTime = Date.now();
  let announcedAll = false;
  const report = () => {
    const s = fleet.summary();
    const now = Date.now();
    const rate = ((s.packets - lastPackets) * 1000) / Math.max(1, now - lastTime);
    lastPackets = s.packets;
    lastTime = now;
    let line = formatSummary(s, rate);
    if (!s.states.ready && !s.states.advertising && s.states.connecting) {
      const problem = fleet.devices.find(d => d.history.at(-1)?.text.startsWith('cannot connect'))?.history.at(-1)?.text;
      if (problem) line += ` — ${problem}; is the broker running?`;
    }
    out(line);
  };
  const ticker = setInterval(report, 10_000);
  // a broker that cannot be reached should not take ten seconds to show
  const early = setTimeout(() => {
    if (!announcedAll) report();
  }, 3000);
  const allAdvertised = setInterval(() => {
    if (!announcedAll && fleet.devices.every(d => d.counters.advertised > 0)) {
      announcedAll = true;
      clearInterval(allAdvertised);
      report();
    }
  }, 250);
  return () => {
    clearInterval(ticker);
    clearInterval(allAdvertised);
    clearTimeout(early);
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
