/** Flags of the main command; the help text below lists them all. */
export const MAIN_FLAGS = {
  config: {type: 'string'},
  mqtt: {type: 'string'},
  brokerPort: {type: 'string'},
  prefix: {type: 'string'},
  httpHost: {type: 'string'},
  httpPort: {type: 'string'},
  firmwareDir: {type: 'string'},
  logFile: {type: 'string'},
  concurrency: {type: 'string'},
  debug: {type: 'boolean'},
  watch: {type: 'boolean', default: true},
  headless: {type: 'boolean'},
  readonly: {type: 'boolean'},
  demo: {type: 'boolean'},
} as const;

const flagRows: Array<[string, string]> = [
  ['--config FILE', 'INI file to read (else $INIFILE, else ./homie-ota.ini, else defaults)'],
  ['--mqtt URL', 'broker: mqtt://host[:port], mqtts://host[:port], or embedded (default)'],
  ['--broker-port N', 'port of the embedded broker (default 1883)'],
  ['--prefix P[,P…]', 'Homie base topic(s) (default homie; add devices for Homie 1.x)'],
  ['--http-host ADDR', 'address of the HTTP server (default 0.0.0.0)'],
  ['--http-port N', 'port of the HTTP server (default 9080)'],
  ['--firmware-dir DIR', 'firmware store and drop folder (default ./firmwares)'],
  ['--log-file FILE', 'log file, or none (default homie-ota.log)'],
  ['--concurrency N', 'firmware transfers at the same time (default 2)'],
  ['--no-watch', 'do not watch the firmware folder for dropped binaries'],
  ['--readonly', 'show everything, change nothing (no OTA, no deletes)'],
  ['--headless', 'no dashboard: log lines on stdout (automatic when not on a terminal)'],
  ['--demo [N]', 'try it out: embedded broker, N simulated devices (default 12), demo firmware'],
  ['--debug', 'log debug messages'],
  ['--help', 'show this help'],
  ['--version', 'print the version'],
];

export const MAIN_HELP = `
  OTA firmware server and live inventory for Homie MQTT devices (ESP8266/ESP32).

  Usage
    $ homie-ota [options]              the dashboard (keys: ? for help, q to quit)
    $ homie-ota inspect FILE…          show what homie-ota detects in firmware binaries
    $ homie-ota simulate [options]     run simulated Homie devices (see homie-ota simulate --help)

  Options
${flagRows.map(([flag, text]) => `    ${flag.padEnd(20)} ${text}`).join('\n')}

  Settings files use the original homie-ota keys ([global] OTA_PORT, [mqtt] MQTT_HOST, …);
  see homie-ota.example.ini and the README. Exit status 2 means a setting is wrong.
`;
