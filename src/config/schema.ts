/**
 * The one definition of homie-ota's settings: every INI key, its command-line flag, default and
 * meaning. `load.ts` reads them, `--help` and the README's table are written from them.
 */
export type Section = 'global' | 'mqtt';
export type Kind = 'bool' | 'port' | 'int' | 'string' | 'path' | 'file' | 'dir' | 'size' | 'endpoint' | 'list';

export interface KeySpec {
  readonly section: Section;
  readonly key: string;
  readonly kind: Kind;
  /** the default as written in an INI file; '' means unset */
  readonly default: string;
  readonly flag?: string;
  readonly help: string;
  /** never printed, logged or shown */
  readonly secret?: boolean;
  /** the original homie-ota also had this key */
  readonly original?: boolean;
}

export const KEYS: readonly KeySpec[] = [
  {section: 'global', key: 'DEBUG', kind: 'bool', default: 'false', flag: '--debug', original: true,
    help: 'Log debug messages (every MQTT attribute, every HTTP request).'},
  {section: 'global', key: 'OTA_HOST', kind: 'string', default: '0.0.0.0', flag: '--http-host', original: true,
    help: 'Address the HTTP server (OTA endpoint, upload, API) listens on.'},
  {section: 'global', key: 'OTA_PORT', kind: 'port', default: '9080', flag: '--http-port', original: true,
    help: 'Port of the HTTP server.'},
  {section: 'global', key: 'OTA_ENDPOINT', kind: 'endpoint', default: '/ota', original: true,
    help: 'Path ESP8266/ESP32 HTTP update clients (Homie 1.x, plain sketches) download firmware from. Not under homie-ota\'s own routes (/healthz, /api, /upload, /update, /firmware, /device).'},
  {section: 'global', key: 'OTA_FIRMWARE_ROOT', kind: 'dir', default: './firmwares', flag: '--firmware-dir', original: true,
    help: 'Firmware store and watched drop folder; also holds inventory.json and jobs.json. Created if missing.'},
  {section: 'global', key: 'OTA_BASE_URL', kind: 'string', default: '', original: true,
    help: 'How devices reach this server, e.g. http://192.168.1.10:9080 (shown in the header). A bare path such as /homie-ota is accepted as in the original (a reverse-proxy prefix).'},
  {section: 'global', key: 'OTA_FIRMWARE_BASE64', kind: 'bool', default: 'true', original: true,
    help: 'Send MQTT-pushed firmware base64-encoded (true) or raw (false).'},
  {section: 'global', key: 'HTTP_USER', kind: 'string', default: '', original: true,
    help: 'With HTTP_PASSWORD: basic auth on every HTTP route except the device OTA endpoint and /healthz. One of the two without the other stops homie-ota (exit 2).'},
  {section: 'global', key: 'HTTP_PASSWORD', kind: 'string', default: '', secret: true, original: true,
    help: 'Password for HTTP_USER.'},
  {section: 'global', key: 'HTTP_TLS_CERT', kind: 'file', default: '',
    help: 'PEM certificate: with HTTP_TLS_KEY the HTTP server speaks HTTPS instead of HTTP.'},
  {section: 'global', key: 'HTTP_TLS_KEY', kind: 'file', default: '', secret: false,
    help: 'PEM private key for HTTP_TLS_CERT.'},
  {section: 'global', key: 'OTA_ENDPOINT_AUTH', kind: 'bool', default: 'false',
    help: 'Also require basic auth on OTA_ENDPOINT (only for update clients that send credentials; Homie 1.x does not). Needs HTTP_USER and HTTP_PASSWORD.'},
  {section: 'global', key: 'OTA_WATCH', kind: 'bool', default: 'true', flag: '--no-watch',
    help: 'Watch OTA_FIRMWARE_ROOT and file binaries dropped into it.'},
  {section: 'global', key: 'OTA_CONCURRENCY', kind: 'int', default: '2', flag: '--concurrency',
    help: 'How many firmware transfers run at the same time.'},
  {section: 'global', key: 'OTA_UPLOAD_LIMIT', kind: 'size', default: '4M',
    help: 'Largest firmware file accepted by upload, drop or the folder itself (bytes; K and M suffixes allowed; 1K to 16M, the largest ESP flash).'},
  {section: 'global', key: 'LOG_FILE', kind: 'path', default: 'homie-ota.log', flag: '--log-file',
    help: 'Log file (also $LOGFILE). "none" turns it off. Rotated at LOG_MAX_SIZE.'},
  {section: 'global', key: 'LOG_MAX_SIZE', kind: 'size', default: '5M',
    help: 'Size at which the log file is rotated (LOG_FILE.1 … .3 are kept); 16K to 1G.'},
  {section: 'mqtt', key: 'MQTT_HOST', kind: 'string', default: '', flag: '--mqtt', original: true,
    help: 'Broker host name. Empty or "embedded": run the embedded broker. --mqtt takes a URL: mqtt://host:port, mqtts://host:port or embedded.'},
  {section: 'mqtt', key: 'MQTT_PORT', kind: 'port', default: '1883', original: true,
    help: 'Broker port (8883 is usual for TLS).'},
  {section: 'mqtt', key: 'MQTT_USERNAME', kind: 'string', default: '', original: true,
    help: 'Broker user name. With the embedded broker: the one account every client (devices, homie-ota) must log in with; unset, anyone may connect.'},
  {section: 'mqtt', key: 'MQTT_PASSWORD', kind: 'string', default: '', secret: true, original: true,
    help: 'Broker password (of MQTT_USERNAME; also for the embedded broker).'},
  {section: 'mqtt', key: 'MQTT_CAFILE', kind: 'file', default: '', original: true,
    help: 'CA certificate (PEM); setting it turns TLS on.'},
  {section: 'mqtt', key: 'MQTT_CERTFILE', kind: 'file', default: '',
    help: 'Client certificate (PEM) for brokers that ask for one; needs MQTT_KEYFILE.'},
  {section: 'mqtt', key: 'MQTT_KEYFILE', kind: 'file', default: '',
    help: 'Private key (PEM) of MQTT_CERTFILE.'},
  {section: 'mqtt', key: 'MQTT_TLS', kind: 'bool', default: 'false',
    help: 'Use TLS with the system CAs (implied by MQTT_CAFILE or an mqtts:// URL).'},
  {section: 'mqtt', key: 'MQTT_SENSOR_PREFIX', kind: 'list', default: 'homie', flag: '--prefix', original: true,
    help: 'Homie base topic(s), comma-separated, e.g. homie,devices (devices/ is Homie 1.x). No trailing slash.'},
  {section: 'mqtt', key: 'MQTT_CLIENT_ID', kind: 'string', default: '',
    help: 'MQTT client id (default homie-ota-<pid>-<4 random hex digits>: unique, so no other client throws homie-ota off the broker by using the same id).'},
  {section: 'mqtt', key: 'MQTT_BROKER_HOST', kind: 'string', default: '0.0.0.0',
    help: 'Address the embedded broker listens on.'},
  {section: 'mqtt', key: 'MQTT_BROKER_PORT', kind: 'port', default: '1883', flag: '--broker-port',
    help: 'Port the embedded broker listens on.'},
  {section: 'mqtt', key: 'MQTT_EVENTS_TOPIC', kind: 'string', default: 'homie-ota',
    help: "homie-ota's own topic: <topic>/status (online/offline, retained), <topic>/jobs/<id> (job state as JSON) and <topic>/rollouts/<id> (rollout state and counts as JSON)."},
];

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
