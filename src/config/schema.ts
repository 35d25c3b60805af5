/**
 * The one table of homie-ota's settings: every INI key with its section, kind, default, command-line
 * flag and meaning. From it come the reading of the INI file and the flags (sources.ts), each value's
 * check by its kind (values.ts), the main command's flags and --help (cli.ts), the README's settings
 * table and homie-ota.example.ini (scripts/readme-tables.ts; test/docs/readme.test.ts fails when
 * either drifts). The rules between keys are in rules.ts.
 */
export type Section = 'global' | 'mqtt';
/**
 * What a value is, which decides how it is read and checked (values.ts) and the placeholder its flag
 * takes in --help: host (an address; empty means the default), port, int (a whole number in `range`),
 * size (bytes with K/M/G in `range`), bool, string, file (a readable PEM file), path (the log file or
 * none), dir (a folder; empty means the default), endpoint (a URL path), list (comma-separated base
 * topics), topic (one topic without wildcards), broker (a host name or embedded; its flag takes a URL),
 * names (comma-separated firmware names), globs (comma-separated file patterns; ~ is the home folder).
 */
export type Kind = 'bool' | 'port' | 'int' | 'host' | 'string' | 'path' | 'file' | 'dir' | 'size' | 'endpoint' | 'list' | 'topic' | 'broker' | 'names' | 'globs';

export interface KeySpec {
  readonly section: Section;
  readonly key: string;
  readonly kind: Kind;
  /** the default as written in an INI file; '' means unset */
  readonly default: string;
  /** the command-line flag that overrides it; a --no-… flag turns a bool off */
  readonly flag?: string;
  /** the flag's line in --help */
  readonly flagHelp?: string;
  /** the README's description */
  readonly help: string;
  /** int and size: the smallest and largest value accepted */
  readonly range?: readonly [number, number];
  /** int: what is wrong with a value out of range, e.g. "not a number of transfers" */
  readonly what?: string;
  /** homie-ota.example.ini: a comment above the key; with `example`, the key is shown commented out with that value */
  readonly ini?: {readonly comment?: string; readonly example?: string};
  /** never printed, logged or shown */
  readonly secret?: boolean;
  /** the original homie-ota also had this key */
  readonly original?: boolean;
}

/** The largest OTA_UPLOAD_LIMIT: no ESP8266 or ESP32 flash holds more (16 MiB chips, bootloader and partition table included). */
export const MAX_UPLOAD_LIMIT = 16 * 1024 * 1024;
/** LOG_MAX_SIZE bounds: below, the log would rotate on every few lines; above, it would fill an SD card. */
export const LOG_SIZE_RANGE = {min: 16 * 1024, max: 1024 * 1024 * 1024} as const;

export const KEYS: readonly KeySpec[] = [
  {section: 'global', key: 'DEBUG', kind: 'bool', default: 'false', flag: '--debug', original: true,
    flagHelp: 'log debug messages', ini: {comment: 'log debug messages'},
    help: 'Log debug messages (every MQTT attribute, every HTTP request).'},
  {section: 'global', key: 'OTA_HOST', kind: 'host', default: '0.0.0.0', flag: '--http-host', original: true,
    flagHelp: 'address of the HTTP server', ini: {comment: 'HTTP server: OTA endpoint for ESP HTTP update clients, uploads, JSON API'},
    help: 'Address the HTTP server (OTA endpoint, upload, API) listens on.'},
  {section: 'global', key: 'OTA_PORT', kind: 'port', default: '9080', flag: '--http-port', original: true,
    flagHelp: 'port of the HTTP server',
    help: 'Port of the HTTP server.'},
  {section: 'global', key: 'OTA_ENDPOINT', kind: 'endpoint', default: '/ota', original: true,
    help: 'Path ESP8266/ESP32 HTTP update clients (Homie 1.x, plain sketches) download firmware from. Not under homie-ota\'s own routes (/healthz, /api, /upload, /update, /firmware, /device).'},
  {section: 'global', key: 'OTA_FIRMWARE_ROOT', kind: 'dir', default: './firmwares', flag: '--firmware-dir', original: true,
    flagHelp: 'firmware store and drop folder', ini: {comment: 'firmware store and watched drop folder (also holds inventory.json and jobs.json)'},
    help: 'Firmware store and watched drop folder; also holds inventory.json and jobs.json. Created if missing.'},
  {section: 'global', key: 'OTA_BASE_URL', kind: 'string', default: '', original: true,
    ini: {comment: 'how devices reach this server, shown in the dashboard header (a bare path is kept for compatibility)', example: 'http://192.168.1.10:9080'},
    help: 'How devices reach this server, e.g. http://192.168.1.10:9080 (shown in the header). A bare path such as /homie-ota is accepted as in the original (a reverse-proxy prefix).'},
  {section: 'global', key: 'OTA_FIRMWARE_BASE64', kind: 'bool', default: 'true', original: true,
    ini: {comment: 'send MQTT-pushed firmware base64-encoded (true) or raw (false)'},
    help: 'Send MQTT-pushed firmware base64-encoded (true) or raw (false).'},
  {section: 'global', key: 'HTTP_USER', kind: 'string', default: '', original: true,
    ini: {comment: 'basic auth on uploads, the API and management routes (never on OTA_ENDPOINT unless OTA_ENDPOINT_AUTH);\nboth or neither: one without the other stops homie-ota', example: 'admin'},
    help: 'With HTTP_PASSWORD: basic auth on every HTTP route except the device OTA endpoint and /healthz. One of the two without the other stops homie-ota (exit 2).'},
  {section: 'global', key: 'HTTP_PASSWORD', kind: 'string', default: '', secret: true, original: true,
    ini: {example: 'change-me'},
    help: 'Password for HTTP_USER.'},
  {section: 'global', key: 'HTTP_TLS_CERT', kind: 'file', default: '',
    ini: {comment: 'HTTPS instead of HTTP', example: '/etc/homie-ota/cert.pem'},
    help: 'PEM certificate: with HTTP_TLS_KEY the HTTP server speaks HTTPS instead of HTTP.'},
  {section: 'global', key: 'HTTP_TLS_KEY', kind: 'file', default: '',
    ini: {example: '/etc/homie-ota/key.pem'},
    help: 'PEM private key for HTTP_TLS_CERT.'},
  {section: 'global', key: 'OTA_ENDPOINT_AUTH', kind: 'bool', default: 'false',
    ini: {example: 'False'},
    help: 'Also require basic auth on OTA_ENDPOINT (only for update clients that send credentials; Homie 1.x does not). Needs HTTP_USER and HTTP_PASSWORD.'},
  {section: 'global', key: 'OTA_WATCH', kind: 'bool', default: 'true', flag: '--no-watch',
    flagHelp: 'do not watch the firmware folder for dropped binaries', ini: {comment: 'file binaries dropped into OTA_FIRMWARE_ROOT'},
    help: 'Watch OTA_FIRMWARE_ROOT and file binaries dropped into it.'},
  {section: 'global', key: 'WATCH', kind: 'globs', default: '', flag: '--watch',
    flagHelp: 'also copy build outputs matching this pattern into the store (repeatable)',
    ini: {comment: 'build outputs to copy into the store when they change (never moved); comma-separated glob patterns', example: '~/src/*/.pio/build/*/firmware.bin, ~/Arduino/build/**/*.ino.bin'},
    help: 'Build outputs to watch: comma-separated glob patterns (fast-glob; ~ is the home folder), e.g. ~/src/*/.pio/build/*/firmware.bin. A matching file that settles is identified by its markers and copied into the store as <name>-<version>.bin; the build file is never moved, renamed or deleted. Looked at every 5 s, so new project folders are found without a restart.'},
  {section: 'global', key: 'AUTO_ROLLOUT', kind: 'names', default: '',
    ini: {comment: 'firmware names whose new versions roll out by themselves (canary first); comma-separated', example: 'relay, sensor'},
    help: 'Firmware names armed for automatic rollouts, comma-separated, with the default settings (canary first, OTA_CONCURRENCY at a time, stop after 1 failure, older versions only, any time). A newer version filed by drop, upload or WATCH rolls out to every device running the name that is not pinned. A name disarmed in the dashboard or the API stays disarmed.'},
  {section: 'global', key: 'OTA_CONCURRENCY', kind: 'int', default: '2', flag: '--concurrency', range: [1, 64], what: 'not a number of transfers',
    flagHelp: 'firmware transfers at the same time', ini: {comment: 'firmware transfers at the same time'},
    help: 'How many firmware transfers run at the same time.'},
  {section: 'global', key: 'OTA_UPLOAD_LIMIT', kind: 'size', default: '4M', range: [1024, MAX_UPLOAD_LIMIT],
    ini: {comment: 'largest firmware accepted by upload, drop or put into the folder by hand (at most 16M)'},
    help: 'Largest firmware file accepted by upload, drop or the folder itself (bytes; K and M suffixes allowed; 1K to 16M, the largest ESP flash).'},
  {section: 'global', key: 'LOG_FILE', kind: 'path', default: 'homie-ota.log', flag: '--log-file',
    flagHelp: 'log file, or none', ini: {comment: 'log file ("none" for no file), rotated at LOG_MAX_SIZE'},
    help: 'Log file (also $LOGFILE). "none" turns it off. Rotated at LOG_MAX_SIZE.'},
  {section: 'global', key: 'LOG_MAX_SIZE', kind: 'size', default: '5M', range: [LOG_SIZE_RANGE.min, LOG_SIZE_RANGE.max],
    help: 'Size at which the log file is rotated (LOG_FILE.1 … .3 are kept); 16K to 1G.'},
  {section: 'mqtt', key: 'MQTT_HOST', kind: 'broker', default: '', flag: '--mqtt', original: true,
    flagHelp: 'broker: mqtt://host[:port], mqtts://host[:port], or embedded (default)',
    ini: {comment: 'empty or "embedded": homie-ota runs its own broker on MQTT_BROKER_PORT', example: 'localhost'},
    help: 'Broker host name. Empty or "embedded": run the embedded broker. --mqtt takes a URL: mqtt://host:port, mqtts://host:port or embedded.'},
  {section: 'mqtt', key: 'MQTT_PORT', kind: 'port', default: '1883', original: true,
    help: 'Broker port (8883 is usual for TLS).'},
  {section: 'mqtt', key: 'MQTT_USERNAME', kind: 'string', default: '', original: true,
    ini: {example: 'homie-ota'},
    help: 'Broker user name. With the embedded broker: the one account every client (devices, homie-ota) must log in with; unset, anyone may connect.'},
  {section: 'mqtt', key: 'MQTT_PASSWORD', kind: 'string', default: '', secret: true, original: true,
    ini: {example: 'secret'},
    help: 'Broker password (of MQTT_USERNAME; also for the embedded broker).'},
  {section: 'mqtt', key: 'MQTT_CAFILE', kind: 'file', default: '', original: true,
    ini: {comment: 'TLS: a CA file turns it on; a client certificate is optional', example: '/etc/ssl/certs/my-ca.pem'},
    help: 'CA certificate (PEM); setting it turns TLS on.'},
  {section: 'mqtt', key: 'MQTT_CERTFILE', kind: 'file', default: '',
    ini: {example: '/etc/homie-ota/client.pem'},
    help: 'Client certificate (PEM) for brokers that ask for one; needs MQTT_KEYFILE.'},
  {section: 'mqtt', key: 'MQTT_KEYFILE', kind: 'file', default: '',
    ini: {example: '/etc/homie-ota/client.key'},
    help: 'Private key (PEM) of MQTT_CERTFILE.'},
  {section: 'mqtt', key: 'MQTT_TLS', kind: 'bool', default: 'false',
    ini: {example: 'False'},
    help: 'Use TLS with the system CAs (implied by MQTT_CAFILE or an mqtts:// URL).'},
  {section: 'mqtt', key: 'MQTT_SENSOR_PREFIX', kind: 'list', default: 'homie', flag: '--prefix', original: true,
    flagHelp: 'Homie base topic(s); add devices for Homie 1.x', ini: {comment: 'Homie base topics, comma-separated: homie for Homie 2-5, devices for Homie 1.x'},
    help: 'Homie base topic(s), comma-separated, e.g. homie,devices (devices/ is Homie 1.x). No trailing slash.'},
  {section: 'mqtt', key: 'MQTT_CLIENT_ID', kind: 'string', default: '',
    ini: {comment: 'default homie-ota-<pid>-<random>; a fixed id must be used by no other client', example: 'homie-ota'},
    help: 'MQTT client id (default homie-ota-<pid>-<4 random hex digits>: unique, so no other client throws homie-ota off the broker by using the same id).'},
  {section: 'mqtt', key: 'MQTT_BROKER_HOST', kind: 'host', default: '0.0.0.0',
    ini: {comment: 'the embedded broker'},
    help: 'Address the embedded broker listens on.'},
  {section: 'mqtt', key: 'MQTT_BROKER_PORT', kind: 'port', default: '1883', flag: '--broker-port',
    flagHelp: 'port of the embedded broker',
    help: 'Port the embedded broker listens on.'},
  {section: 'mqtt', key: 'MQTT_EVENTS_TOPIC', kind: 'topic', default: 'homie-ota',
    ini: {comment: "homie-ota's own topics: <topic>/status, <topic>/jobs/<id> and <topic>/rollouts/<id>"},
    help: "homie-ota's own topic: <topic>/status (online/offline, retained), <topic>/jobs/<id> (job state as JSON) and <topic>/rollouts/<id> (rollout state and counts as JSON)."},
];

/** The entry of one key; throws for a key the table does not have (a mistake in homie-ota itself). */
export function spec(key: string): KeySpec {
  const found = KEYS.find(k => k.key === key);
  if (!found) throw new Error(`unknown setting ${key}`);
  return found;
}

export interface MqttSettings {
  /** embedded: start aedes in this process and connect to it */
  readonly embedded: boolean;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly prefixes: readonly string[];
  readonly clientId: string;
  readonly brokerHost: string;
  readonly brokerPort: number;
  readonly eventsTopic: string;
}

export interface HttpSettings {
  readonly host: string;
  readonly port: number;
  readonly endpoint: string;
  readonly baseUrl: string;
  readonly user?: string;
  readonly password?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly endpointAuth: boolean;
  readonly uploadLimit: number;
}

export interface Config {
  /** the INI file read, or null when running on defaults */
  readonly configFile: string | null;
  readonly debug: boolean;
  readonly firmwareRoot: string;
  readonly base64: boolean;
  readonly watch: boolean;
  /** WATCH: build output patterns, ~ expanded */
  readonly watchGlobs: readonly string[];
  /** AUTO_ROLLOUT: firmware names armed at start */
  readonly autoRollout: readonly string[];
  readonly concurrency: number;
  readonly logFile: string | null;
  readonly logMaxSize: number;
  readonly readonly: boolean;
  readonly headless: boolean;
  /** --demo: simulated devices and a temporary folder that is removed on quit, open updates with it */
  readonly demo: boolean;
  readonly http: HttpSettings;
  readonly mqtt: MqttSettings;
}
