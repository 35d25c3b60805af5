import {parseArgs} from 'node:util';
import {FAULT_HELP, parseFaultAssignment, parseRate, startFleet, type Fleet, type FleetOptions, type FleetSummary} from '../sim/index.js';

/** `homie-ota simulate …`: run simulated Homie devices against a broker until Ctrl+C / SIGTERM. */
const HELP = `
  Run simulated Homie devices (homie-esp8266 v1.5, v2.0.0, v2.3, v3.0.1, a Homie 4 and a Homie 5
  device) against an MQTT broker, until Ctrl+C or SIGTERM.

  Usage
    $ homie-ota simulate --mqtt URL [options]

  Options
    --mqtt URL              broker, required: mqtt://host[:port] or mqtts://… (user:pass@ ok)
    --devices N             how many devices (default 12)
    --generation MIX        weights, e.g. v3:80,v2:15,v1:5 (default v3); generations: v1 (1.5),
                            v2 (2.0.0), v2.3 (Homie 2.0.1), v3 (3.0.1), homie4, homie5
    --prefix P              base topic of Homie 2+ devices (default homie)
    --v1-prefix P           base topic of Homie 1.x devices (default devices)
    --fw NAME@VERSION       firmware the devices start on (default homie-sim@1.0.0)
    --chip CHIP             esp8266 (default), esp32, or mix (a quarter of v3 devices on ESP32)
    --id-prefix P           device ids P-0001, P-0002 … (default: from the MAC, as real ones)
    --fault SPEC[:WHO]      a fault for some devices, repeatable; WHO is 10% (a share),
                            3 (a count) or @id,id (named devices); without WHO one device
    --ota-http URL          where Homie 1.x devices pull firmware
                            (default http://<broker host>:9080/ota)
    --flash-speed RATE      bytes per second written during an OTA (default 40K)
    --reboot-delay SECONDS  from reset to reconnecting (default 3)
    --stats-interval SEC    device_stats_interval (default 60)
    --progress-every N      1: a 206 after every chunk (default); 100: every 100th (develop)
    --rate N                packets per second for the whole fleet (default 5000)
    --mode MODE             auto (default: faithful up to 2000 devices), faithful, multiplexed
    --connections K         multiplexed mode: publishing connections (default 4)
    --seed S                same seed, same fleet (ids, faults, values)
    --insecure              mqtts: accept any broker certificate
    --verbose               print device events (OTA outcomes, reboots, faults)
    --help                  show this help

  Faults (--fault)
${FAULT_HELP.map(([name, text]) => `    ${name.padEnd(24)}${text}`).join('\n')}

  Faithful mode gives every device its own connection and last will (a real broker marks it lost
  when it drops). Multiplexed mode shares a few connections for big fleets: each device still
  publishes its own messages, and the simulator publishes a device's will itself when it drops.

  Example
    $ homie-ota simulate --mqtt mqtt://localhost:1883 --devices 50 \\
        --generation v3:80,v2:15,v1:5 --fault flash-error=60:2 --fault sleepy=60/5:10%
`;

const OPTIONS = {
  mqtt: {type: 'string'}, devices: {type: 'string'}, generation: {type: 'string'}, prefix: {type: 'string'},
  'v1-prefix': {type: 'string'}, fw: {type: 'string'}, chip: {type: 'string'}, 'id-prefix': {type: 'string'},
  fault: {type: 'string', multiple: true}, 'ota-http': {type: 'string'}, 'flash-speed': {type: 'string'},
  'reboot-delay': {type: 'string'}, 'stats-interval': {type: 'string'}, 'progress-every': {type: 'string'},
  rate: {type: 'string'}, mode: {type: 'string'}, connections: {type: 'string'}, seed: {type: 'string'},
  insecure: {type: 'boolean'}, verbose: {type: 'boolean'}, help: {type: 'boolean', short: 'h'},
} as const;

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

/** Options from the command line; throws with a message naming the flag. */
export function parseSimulateArgs(argv: string[]): FleetOptions | 'help' {
  const {values} = parseArgs({args: argv, options: OPTIONS, strict: true, allowPositionals: false});
  if (values.help) return 'help';
  if (!values.mqtt) throw new Error('--mqtt URL is required, e.g. --mqtt mqtt://localhost:1883');
  const mode = values.mode ?? 'auto';
  if (!['auto', 'faithful', 'multiplexed', 'mux'].includes(mode)) throw new Error(`--mode "${mode}": use auto, faithful or multiplexed`);
  const chip = values.chip;
  if (chip !== undefined && !['esp8266', 'esp32', 'esp32s2', 'esp32s3', 'esp32c3', 'esp32c6', 'mix'].includes(chip)) {
    throw new Error(`--chip "${chip}": use esp8266, esp32 (or esp32s3, esp32c3 …) or mix`);
  }
  const rebootDelay = seconds(values['reboot-delay'], '--reboot-delay');
  return {
    url: values.mqtt,
    devices: whole(values.devices, '--devices', 0, 100_000) ?? 12,
    generations: values.generation,
    prefix: values.prefix?.replace(/\/+$/, ''),
    v1Prefix: values['v1-prefix']?.replace(/\/+$/, ''),
    fw: values.fw,
    chip: chip as FleetOptions['chip'],
    idPrefix: values['id-prefix'],
    faults: (values.fault ?? []).map(parseFaultAssignment),
    otaHttpUrl: values['ota-http'],
    flashSpeed: values['flash-speed'] ? parseRate(values['flash-speed']) : undefined,
    rebootDelay: rebootDelay === undefined ? undefined : rebootDelay * 1000,
    statsInterval: whole(values['stats-interval'], '--stats-interval', 1, 86_400),
    progressEvery: whole(values['progress-every'], '--progress-every', 1, 10_000),
    publishRate: whole(values.rate, '--rate', 1, 10_000_000),
    mode: mode === 'mux' ? 'multiplexed' : (mode as FleetOptions['mode']),
    connections: whole(values.connections, '--connections', 1, 1000),
    seed: values.seed,
    insecure: values.insecure,
  };
}

export function formatSummary(s: FleetSummary, perSecond: number): string {
  const order = ['ready', 'connecting', 'advertising', 'flashing', 'rebooting', 'ota-mode', 'sleeping', 'stalled', 'offline', 'config-mode', 'dead', 'off'] as const;
  const states = order.filter(k => s.states[k]).map(k => `${k} ${s.states[k]}`).join(' · ');
  const running = (s.states.flashing ?? 0) + (s.states['ota-mode'] ?? 0);
  const ota = s.otaStarted + s.otaFlashed + s.otaFailed > 0 ? ` | OTA ${running} running, ${s.otaFlashed} flashed, ${s.otaFailed} failed` : '';
  return `${new Date().toTimeString().slice(0, 8)} ${s.devices} devices: ${states}${ota} | ${s.packets.toLocaleString('en')} packets (${Math.round(perSecond).toLocaleString('en')}/s)${s.waiting ? `, ${s.waiting} waiting for the rate bound` : ''}`;
}

export async function main(argv: string[]): Promise<number> {
  let options: FleetOptions | 'help';
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
  const verbose = argv.includes('--verbose');
  let fleet: Fleet;
  try {
    fleet = startFleet({...options, ...(verbose ? {log: (device: string, text: string) => out(`${new Date().toTimeString().slice(0, 8)} ${device}: ${text}`)} : {})});
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

  return new Promise<number>(resolve => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        out('stopping anyway');
        process.exit(1);
      }
      stopping = true;
      clearInterval(ticker);
      clearInterval(allAdvertised);
      clearTimeout(early);
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

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
