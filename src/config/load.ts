import crypto from 'node:crypto';
import {printable} from '../engine/util/text.js';
import {parseMqttUrl} from './mqtt-url.js';
import {crossKeyProblems, unusedWithEmbedded} from './rules.js';
import {KEYS, type Config} from './schema.js';
import {gatherValues, type CliOverrides, type GivenValues} from './sources.js';
import {valueCheck} from './values.js';

export type {CliOverrides} from './sources.js';

export type LoadResult =
  | {
    readonly ok: true;
    readonly config: Config;
    readonly warnings: readonly string[];
    /** the start of a message about a key's value, as the errors here begin: "--firmware-dir \"x\"" */
    readonly label: (key: string) => string;
  }
  | {readonly ok: false; readonly errors: readonly string[]};

/** Every key's value, checked by its kind; a value that fails its check leaves its line in `errors` and the default in its place. */
function checkValues(given: GivenValues, cwd: string, errors: string[]): ReadonlyMap<string, unknown> {
  const values = new Map<string, unknown>();
  for (const key of KEYS) {
    const check = valueCheck(key, cwd);
    const result = check(given.text(key.key));
    if (result.ok) {
      values.set(key.key, result.value);
    } else {
      errors.push(`${given.label(key.key)}: ${result.problem}`);
      const fallback = check(key.default);
      values.set(key.key, fallback.ok ? fallback.value : undefined);
    }
  }
  return values;
}

type Broker = {embedded: boolean; host: string; port: number; tls: boolean; username?: string; password?: string};

/** The broker to connect to: the [mqtt] keys, unless --mqtt names another (or the embedded one). */
function chooseBroker(given: GivenValues, value: <T>(key: string) => T, url: string | undefined, errors: string[]): Broker {
  let host = value<string>('MQTT_HOST');
  let port = value<number>('MQTT_PORT');
  let tls = value<boolean>('MQTT_TLS');
  let username = value<string>('MQTT_USERNAME') || undefined;
  let password = value<string>('MQTT_PASSWORD') || undefined;
  if (url !== undefined) {
    const parsed = parseMqttUrl(url);
    if ('error' in parsed) {
      errors.push(`--mqtt "${url}": ${parsed.error}`);
    } else if (parsed.embedded) {
      host = '';
    } else {
      ({host, port, tls} = parsed);
      username = parsed.username ?? username;
      password = parsed.password ?? password;
    }
  }
  if (given.isSet('MQTT_CAFILE') || given.isSet('MQTT_CERTFILE')) tls = true;
  return {embedded: host === '' || host.toLowerCase() === 'embedded', host, port, tls, username, password};
}

/** The settings for homie-ota: the INI file, $LOGFILE and the flags, read and checked. Reads files, creates and changes none. */
export function loadConfig(flags: CliOverrides, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LoadResult {
  const gathered = gatherValues(flags, env, cwd);
  if (!gathered.ok) return {ok: false, errors: [gathered.error]};
  const {given, errors, warnings} = gathered;
  const values = checkValues(given, cwd, errors);
  const value = <T>(key: string): T => values.get(key) as T;
  const broker = chooseBroker(given, value, flags.mqtt, errors);
  errors.push(...crossKeyProblems({
    given,
    httpHost: value('OTA_HOST'),
    httpPort: value('OTA_PORT'),
    endpointAuth: value('OTA_ENDPOINT_AUTH'),
    embedded: broker.embedded,
    brokerHost: value('MQTT_BROKER_HOST'),
    brokerPort: value('MQTT_BROKER_PORT'),
    mqttUsername: broker.username,
    mqttPassword: broker.password,
  }));
  const unused = broker.embedded ? unusedWithEmbedded(given) : null;
  if (unused) warnings.push(unused);
  // what came from the file is shown as the log shows it: escape sequences escaped, never executed
  if (errors.length > 0) return {ok: false, errors: errors.map(e => printable(e))};
  return {
    ok: true,
    warnings: warnings.map(w => printable(w)),
    label: key => printable(given.label(key)),
    config: buildConfig(gathered.file, flags, value, broker),
  };
}

function buildConfig(configFile: string | null, flags: CliOverrides, value: <T>(key: string) => T, broker: Broker): Config {
  const brokerPort = value<number>('MQTT_BROKER_PORT');
  return {
    configFile,
    debug: value('DEBUG'),
    firmwareRoot: value('OTA_FIRMWARE_ROOT'),
    base64: value('OTA_FIRMWARE_BASE64'),
    watch: value('OTA_WATCH'),
    watchGlobs: value('WATCH'),
    autoRollout: value('AUTO_ROLLOUT'),
    concurrency: value('OTA_CONCURRENCY'),
    logFile: value('LOG_FILE'),
    logMaxSize: value('LOG_MAX_SIZE'),
    readonly: flags.readonly ?? false,
    headless: flags.headless ?? false,
    demo: flags.demo ?? false,
    http: {
      host: value('OTA_HOST'),
      port: value('OTA_PORT'),
      endpoint: value('OTA_ENDPOINT'),
      baseUrl: value('OTA_BASE_URL'),
      user: value<string>('HTTP_USER') || undefined,
      password: value<string>('HTTP_PASSWORD') || undefined,
      tlsCert: value('HTTP_TLS_CERT'),
      tlsKey: value('HTTP_TLS_KEY'),
      endpointAuth: value('OTA_ENDPOINT_AUTH'),
      uploadLimit: value('OTA_UPLOAD_LIMIT'),
    },
    mqtt: {
      embedded: broker.embedded,
      host: broker.embedded ? '127.0.0.1' : broker.host,
      port: broker.embedded ? brokerPort : broker.port,
      tls: broker.embedded ? false : broker.tls,
      username: broker.username,
      password: broker.password,
      caFile: value('MQTT_CAFILE'),
      certFile: value('MQTT_CERTFILE'),
      keyFile: value('MQTT_KEYFILE'),
      prefixes: value('MQTT_SENSOR_PREFIX'),
      // unique: a broker keeps one connection per client id, so a second program with the same id (another
      // homie-ota in a container where it is pid 1 too) would throw this one off, over and over
      clientId: value<string>('MQTT_CLIENT_ID') || `homie-ota-${process.pid}-${crypto.randomBytes(2).toString('hex')}`,
      brokerHost: value('MQTT_BROKER_HOST'),
      brokerPort,
      eventsTopic: value('MQTT_EVENTS_TOPIC'),
    },
  };
}
