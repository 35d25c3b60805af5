import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {reservedClash} from '../engine/http/reserved.js';
import {kindOf, NotRegularFileError, readRegularFileSync} from '../engine/util/safe-file.js';
import {printable} from '../engine/util/text.js';
import {parseBoolean, parseIni} from './ini.js';
import {KEYS, type Config, type KeySpec} from './schema.js';

/** Command-line flags that override the INI file (all optional, as given by the user). */
export interface CliOverrides {
  readonly config?: string;
  readonly mqtt?: string;
  readonly brokerPort?: string;
  readonly prefix?: string;
  readonly httpHost?: string;
  readonly httpPort?: string;
  readonly firmwareDir?: string;
  readonly logFile?: string;
  readonly concurrency?: string;
  readonly debug?: boolean;
  /** false when --no-watch was given */
  readonly watch?: boolean;
  readonly headless?: boolean;
  readonly readonly?: boolean;
  readonly demo?: boolean;
}

export type LoadResult =
  | {readonly ok: true; readonly config: Config; readonly warnings: readonly string[]}
  | {readonly ok: false; readonly errors: readonly string[]};

interface Value {
  readonly raw: string;
  /** where the value came from, for messages: "homie-ota.ini" or "--http-port" */
  readonly from: string;
}

/** The largest OTA_UPLOAD_LIMIT: no ESP8266 or ESP32 flash holds more (16 MiB chips, bootloader and partition table included). */
export const MAX_UPLOAD_LIMIT = 16 * 1024 * 1024;
/** LOG_MAX_SIZE bounds: below, the log would rotate on every few lines; above, it would fill an SD card. */
export const LOG_SIZE_RANGE = {min: 16 * 1024, max: 1024 * 1024 * 1024} as const;
/** A homie-ota.ini is a few dozen lines; a file this large is not one. */
const MAX_INI_BYTES = 1024 * 1024;

const spec = (key: string): KeySpec => {
  const found = KEYS.find(k => k.key === key);
  if (!found) throw new Error(`unknown setting ${key}`);
  return found;
};

/** Where the INI file comes from: --config, then $INIFILE, then ./homie-ota.ini, else none. */
function locateIni(flags: CliOverrides, env: NodeJS.ProcessEnv, cwd: string): {file: string | null; error?: string} {
  if (flags.config) {
    const file = path.resolve(cwd, flags.config);
    return fs.existsSync(file) ? {file} : {file: null, error: `--config ${flags.config}: no such file; give the path of your homie-ota.ini (see homie-ota.example.ini)`};
  }
  if (env.INIFILE) {
    const file = path.resolve(cwd, env.INIFILE);
    return fs.existsSync(file) ? {file} : {file: null, error: `$INIFILE ${env.INIFILE}: no such file; unset INIFILE or point it at your homie-ota.ini`};
  }
  const local = path.resolve(cwd, 'homie-ota.ini');
  return {file: fs.existsSync(local) ? local : null};
}

export function loadConfig(flags: CliOverrides, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LoadResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const values = new Map<string, Value>();

  const located = locateIni(flags, env, cwd);
  if (located.error) return {ok: false, errors: [located.error]};
  const iniFile = located.file;
  if (iniFile) {
    let text: string;
    try {
      // never blocks: a FIFO at that path is refused, not opened for a read that waits for a writer
      const size = fs.statSync(iniFile).size;
      if (size > MAX_INI_BYTES) return {ok: false, errors: [printable(`${iniFile}: ${Math.round(size / 1024)} KiB is not a homie-ota.ini (a few dozen lines); check the path given with --config or $INIFILE`)]};
      text = readRegularFileSync(iniFile, {followLinks: true}).toString('utf8');
    } catch (error) {
      if (error instanceof NotRegularFileError) return {ok: false, errors: [printable(`${iniFile} is ${error.kind}, not a regular file; give --config (or $INIFILE) the path of your homie-ota.ini`)]};
      return {ok: false, errors: [printable(`${iniFile}: cannot read (${(error as NodeJS.ErrnoException).code}); check its permissions`)]};
    }
    const ini = parseIni(text);
    for (const problem of ini.problems) errors.push(`${path.basename(iniFile)} ${problem}`);
    for (const [section, entries] of ini.sections) {
      for (const [key, raw] of entries) {
        const known = KEYS.find(k => k.key === key);
        if (!known || (known.section !== section && section !== 'default')) {
          if (key !== 'DEBUG_SENSOR') warnings.push(`[${section}] ${key} is not a homie-ota setting; it is ignored`);
          continue;
        }
        values.set(key, {raw, from: path.basename(iniFile)});
      }
    }
  }
  if (env.LOGFILE && !values.has('LOG_FILE')) values.set('LOG_FILE', {raw: env.LOGFILE, from: '$LOGFILE'});

  const flagValue = (key: string, raw: string | undefined, flag: string) => {
    if (raw !== undefined) values.set(key, {raw, from: flag});
  };
  flagValue('OTA_HOST', flags.httpHost, '--http-host');
  flagValue('OTA_PORT', flags.httpPort, '--http-port');
  flagValue('OTA_FIRMWARE_ROOT', flags.firmwareDir, '--firmware-dir');
  flagValue('LOG_FILE', flags.logFile, '--log-file');
  flagValue('OTA_CONCURRENCY', flags.concurrency, '--concurrency');
  flagValue('MQTT_BROKER_PORT', flags.brokerPort, '--broker-port');
  flagValue('MQTT_SENSOR_PREFIX', flags.prefix, '--prefix');
  if (flags.debug) flagValue('DEBUG', 'true', '--debug');
  if (flags.watch === false) flagValue('OTA_WATCH', 'false', '--no-watch');

  const where = (key: string): string => {
    const s = spec(key);
    const v = values.get(key);
    if (!v || !v.from.endsWith('.ini')) return v ? v.from : `[${s.section}] ${key}`;
    return `[${s.section}] ${key} (${v.from})`;
  };
  const fail = (key: string, message: string) => {
    const v = values.get(key);
    // a default was not given by anyone: no value to quote
    const shown = spec(key).secret || !v ? '' : ` "${v.raw}"`;
    errors.push(`${where(key)}${shown}: ${message}`);
  };
  const str = (key: string): string => (values.get(key)?.raw ?? spec(key).default).trim();
  const optional = (key: string): string | undefined => str(key) || undefined;
  const bool = (key: string): boolean => {
    const parsed = parseBoolean(str(key));
    if (parsed === undefined) {
      fail(key, 'expected true or false (also yes/no, on/off, 1/0)');
      return parseBoolean(spec(key).default) ?? false;
    }
    return parsed;
  };
  const int = (key: string, min: number, max: number, what: string): number => {
    const text = str(key);
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      fail(key, `${what}; use a whole number from ${min} to ${max}`);
      return Number(spec(key).default);
    }
    return Number(text);
  };
  const port = (key: string) => int(key, 0, 65535, 'not a port number (0 picks any free port)');
  const size = (key: string, min: number, max: number): number => {
    const m = /^(\d+)\s*(k|m|g)?i?b?$/i.exec(str(key));
    if (!m || Number(m[1]) === 0) {
      fail(key, 'not a size; write bytes, or a number with K or M, e.g. 4M');
      return parseSize(spec(key).default);
    }
    const bytes = parseSize(str(key));
    if (bytes < min || bytes > max) {
      fail(key, `${bytes > max ? 'more than the largest' : 'less than the smallest'} size homie-ota accepts here; use ${humanSize(min)} to ${humanSize(max)}`);
      return parseSize(spec(key).default);
    }
    return bytes;
  };
  const readableFile = (key: string): string | undefined => {
    const value = optional(key);
    if (!value) return undefined;
    const file = path.resolve(cwd, value);
    try {
      fs.accessSync(file, fs.constants.R_OK);
      const stat = fs.statSync(file);
      if (!stat.isFile()) {
        fail(key, `${file} is ${kindOf(stat)}, not a regular file; point ${key} at the PEM file itself`);
        return file;
      }
    } catch (error) {
      fail(key, `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); fix the path or its permissions`);
    }
    return file;
  };
  /** Both or neither: name the one that is missing. */
  const pair = (a: string, b: string, why: string): void => {
    const hasA = Boolean(optional(a));
    if (hasA !== Boolean(optional(b))) {
      const [given, missing] = hasA ? [a, b] : [b, a];
      errors.push(`${where(missing)}: ${given} is set but ${missing} is not; ${why}: set ${missing}, or remove ${given}`);
    }
  };

  // [global]
  const debug = bool('DEBUG');
  const httpHost = str('OTA_HOST') || '0.0.0.0';
  const httpPort = port('OTA_PORT');
  const endpoint = str('OTA_ENDPOINT');
  const clash = reservedClash(endpoint);
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(endpoint) || endpoint.includes('..')) {
    fail('OTA_ENDPOINT', 'must be a URL path starting with /, e.g. /ota');
  } else if (clash) {
    fail('OTA_ENDPOINT', `collides with homie-ota's own ${clash} routes (update clients would get their answers instead of firmware); choose another path, e.g. /ota`);
  }
  const base64 = bool('OTA_FIRMWARE_BASE64');
  const user = optional('HTTP_USER');
  const password = optional('HTTP_PASSWORD');
  // with only one of them the HTTP server would run open while the user believes it is protected
  pair('HTTP_USER', 'HTTP_PASSWORD', 'basic auth needs both (with one alone every route would be open)');
  const tlsCert = readableFile('HTTP_TLS_CERT');
  const tlsKey = readableFile('HTTP_TLS_KEY');
  if (Boolean(tlsCert) !== Boolean(tlsKey)) {
    fail(tlsCert ? 'HTTP_TLS_CERT' : 'HTTP_TLS_KEY', 'HTTPS needs both HTTP_TLS_CERT and HTTP_TLS_KEY; set the other one or neither');
  }
  const endpointAuth = bool('OTA_ENDPOINT_AUTH');
  if (endpointAuth && !(user && password)) {
    fail('OTA_ENDPOINT_AUTH', 'asks for basic auth on OTA_ENDPOINT, but HTTP_USER and HTTP_PASSWORD are not both set, so nothing would be asked; set them, or set OTA_ENDPOINT_AUTH = false');
  }
  const watch = bool('OTA_WATCH');
  const concurrency = int('OTA_CONCURRENCY', 1, 64, 'not a number of transfers');
  const uploadLimit = size('OTA_UPLOAD_LIMIT', 1024, MAX_UPLOAD_LIMIT);
  const logMaxSize = size('LOG_MAX_SIZE', LOG_SIZE_RANGE.min, LOG_SIZE_RANGE.max);

  const firmwareRoot = path.resolve(cwd, str('OTA_FIRMWARE_ROOT') || './firmwares');
  try {
    fs.mkdirSync(firmwareRoot, {recursive: true});
    // --readonly writes nothing there, so a read-only folder (a mounted backup, a read-only SD card) is enough
    fs.accessSync(firmwareRoot, flags.readonly ? fs.constants.R_OK : fs.constants.R_OK | fs.constants.W_OK);
  } catch (error) {
    fail('OTA_FIRMWARE_ROOT', `cannot create or write ${firmwareRoot} (${(error as NodeJS.ErrnoException).code}); create it or point OTA_FIRMWARE_ROOT / --firmware-dir at a writable folder`);
  }

  const logSetting = str('LOG_FILE');
  let logFile: string | null = null;
  // /dev/null, as some set it to turn logging off, means "none" (it is not a file homie-ota could append to)
  if (logSetting && logSetting.toLowerCase() !== 'none' && path.resolve(cwd, logSetting) !== '/dev/null') {
    logFile = path.resolve(cwd, logSetting);
    const stat = fs.statSync(logFile, {throwIfNoEntry: false});
    if (stat && !stat.isFile()) {
      fail('LOG_FILE', `${logFile} is ${kindOf(stat)}, not a regular file; homie-ota appends its log only to a file: choose a file path, or "none" (under systemd the headless output already goes to the journal)`);
    } else {
      try {
        fs.accessSync(path.dirname(logFile), fs.constants.W_OK);
        if (stat) fs.accessSync(logFile, fs.constants.W_OK);
      } catch (error) {
        fail('LOG_FILE', `cannot write ${logFile} (${(error as NodeJS.ErrnoException).code}); choose a writable path or "none"`);
      }
    }
  }

  // [mqtt]
  let mqttHost = str('MQTT_HOST');
  let mqttPort = port('MQTT_PORT');
  let tls = bool('MQTT_TLS');
  let username = optional('MQTT_USERNAME');
  let mqttPassword = optional('MQTT_PASSWORD');
  if (flags.mqtt !== undefined) {
    const parsed = parseMqttUrl(flags.mqtt);
    if ('error' in parsed) {
      errors.push(`--mqtt "${flags.mqtt}": ${parsed.error}`);
    } else if (parsed.embedded) {
      mqttHost = '';
    } else {
      mqttHost = parsed.host;
      mqttPort = parsed.port;
      tls = parsed.tls;
      username = parsed.username ?? username;
      mqttPassword = parsed.password ?? mqttPassword;
    }
  }
  const embedded = mqttHost === '' || mqttHost.toLowerCase() === 'embedded';
  const caFile = readableFile('MQTT_CAFILE');
  const certFile = readableFile('MQTT_CERTFILE');
  const keyFile = readableFile('MQTT_KEYFILE');
  if (Boolean(certFile) !== Boolean(keyFile)) {
    fail(certFile ? 'MQTT_CERTFILE' : 'MQTT_KEYFILE', 'a client certificate needs both MQTT_CERTFILE and MQTT_KEYFILE');
  }
  if (caFile || certFile) tls = true;
  // MQTT (3.1.1) allows a user name alone, but never a password without one: it would not be sent
  if (mqttPassword && !username) {
    errors.push(`${where('MQTT_USERNAME')}: MQTT_PASSWORD is set but MQTT_USERNAME is not; a broker login needs the user name: set MQTT_USERNAME, or remove MQTT_PASSWORD`);
  }
  if (embedded) {
    const unused = ['MQTT_CAFILE', 'MQTT_CERTFILE', 'MQTT_KEYFILE'].filter(key => str(key) !== '');
    if (values.has('MQTT_TLS') && parseBoolean(str('MQTT_TLS'))) unused.push('MQTT_TLS');
    if (values.has('MQTT_PORT') && str('MQTT_PORT') !== str('MQTT_BROKER_PORT')) unused.push('MQTT_PORT');
    if (unused.length > 0) {
      warnings.push(`${unused.join(', ')} ${unused.length === 1 ? 'is' : 'are'} set but not used: homie-ota runs its embedded broker (MQTT_HOST is empty), which has no TLS and listens on MQTT_BROKER_PORT; set MQTT_HOST to use your broker`);
    }
  }
  const prefixes = parsePrefixes(str('MQTT_SENSOR_PREFIX'));
  if ('error' in prefixes) fail('MQTT_SENSOR_PREFIX', prefixes.error);
  const brokerHost = str('MQTT_BROKER_HOST') || '0.0.0.0';
  const brokerPort = port('MQTT_BROKER_PORT');
  const eventsTopic = str('MQTT_EVENTS_TOPIC').replace(/\/+$/, '');
  if (!eventsTopic || /[+#]/.test(eventsTopic)) fail('MQTT_EVENTS_TOPIC', 'must be a topic without + or #, e.g. homie-ota');
  // unique: a broker keeps one connection per client id, so a second program with the same id (another
  // homie-ota in a container where it is pid 1 too) would throw this one off, over and over
  // the embedded broker and the HTTP server cannot share a port ("the port is in use" would name only one)
  const wildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '';
  if (embedded && brokerPort !== 0 && brokerPort === httpPort && (brokerHost === httpHost || wildcard(brokerHost) || wildcard(httpHost))) {
    errors.push(`${where('MQTT_BROKER_PORT')} and ${where('OTA_PORT')} are both ${brokerPort}: the embedded broker and the HTTP server need a port each; change one of them`);
  }
  const clientId = str('MQTT_CLIENT_ID') || `homie-ota-${process.pid}-${crypto.randomBytes(2).toString('hex')}`;

  // what came from the file is shown as the log shows it: escape sequences escaped, never executed
  if (errors.length > 0) return {ok: false, errors: errors.map(e => printable(e))};
  return {
    ok: true,
    warnings: warnings.map(w => printable(w)),
    config: {
      configFile: iniFile,
      debug,
      firmwareRoot,
      base64,
      watch,
      concurrency,
      logFile,
      logMaxSize,
      readonly: flags.readonly ?? false,
      headless: flags.headless ?? false,
      demo: flags.demo ?? false,
      http: {host: httpHost, port: httpPort, endpoint, baseUrl: str('OTA_BASE_URL'), user, password, tlsCert, tlsKey, endpointAuth, uploadLimit},
      mqtt: {
        embedded,
        host: embedded ? '127.0.0.1' : mqttHost,
        port: embedded ? brokerPort : mqttPort,
        tls: embedded ? false : tls,
        username,
        password: mqttPassword,
        caFile,
        certFile,
        keyFile,
        prefixes: 'error' in prefixes ? ['homie'] : prefixes,
        clientId,
        brokerHost,
        brokerPort,
        eventsTopic,
      },
    },
  };
}

function humanSize(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3}G` : bytes >= 1024 ** 2 ? `${bytes / 1024 ** 2}M` : `${bytes / 1024}K`;
}

export function parseSize(text: string): number {
  const m = /^(\d+)\s*(k|m|g)?/i.exec(text.trim());
  if (!m) return NaN;
  const unit = (m[2] ?? '').toLowerCase();
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}

export function parsePrefixes(text: string): string[] | {error: string} {
  const list = text.split(',').map(p => p.trim().replace(/\/+$/, '')).filter(p => p !== '');
  if (list.length === 0) return {error: 'needs at least one base topic, e.g. homie'};
  for (const p of list) {
    if (/[+#\0]/.test(p)) return {error: `"${p}" contains + or #; give plain topic prefixes such as homie,devices`};
  }
  return [...new Set(list)];
}

export type MqttUrl =
  | {embedded: true}
  | {embedded: false; host: string; port: number; tls: boolean; username?: string; password?: string};

export function parseMqttUrl(text: string): MqttUrl | {error: string} {
  if (text.trim().toLowerCase() === 'embedded') return {embedded: true};
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return {error: 'expected mqtt://host[:port], mqtts://host[:port] or embedded'};
  }
  const protocol = url.protocol.replace(':', '');
  if (!['mqtt', 'mqtts', 'tcp', 'ssl'].includes(protocol)) {
    return {error: `unsupported scheme ${protocol}://; use mqtt://, mqtts:// or embedded`};
  }
  const tls = protocol === 'mqtts' || protocol === 'ssl';
  if (!url.hostname) return {error: 'no host name; e.g. mqtt://broker.local:1883'};
  const port = url.port ? Number(url.port) : tls ? 8883 : 1883;
  return {
    embedded: false,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    tls,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}
