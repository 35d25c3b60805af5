import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {parseIni, parseBoolean} from '../../src/config/ini.js';
import {loadConfig} from '../../src/config/load.js';
import {parseMqttUrl} from '../../src/config/mqtt-url.js';
import {KEYS} from '../../src/config/schema.js';
import {parsePrefixes, parseSize, valueCheck} from '../../src/config/values.js';
import {prepareFolders} from '../../src/startup.js';
import {tempDir} from '../helpers/tmp.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(() => cleanup());

const write = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};

describe('INI reader', () => {
  it('reads sections, both separators, comments and case-insensitive keys like ConfigParser', () => {
    const ini = parseIni('; comment\n[Global]\nota_port = 9090\n# another\nOTA_HOST: 127.0.0.1\n[mqtt]\nMQTT_SENSOR_PREFIX=devices\n  ,homie\n');
    expect(ini.problems).toEqual([]);
    expect(ini.sections.get('global')?.get('OTA_PORT')).toBe('9090');
    expect(ini.sections.get('global')?.get('OTA_HOST')).toBe('127.0.0.1');
    expect(ini.sections.get('mqtt')?.get('MQTT_SENSOR_PREFIX')).toBe('devices\n,homie');
  });

  it('reports lines it cannot read and keys outside a section', () => {
    const ini = parseIni('OTA_PORT=1\n[global]\nthis is not a pair\n');
    expect(ini.problems).toHaveLength(2);
    expect(ini.problems[0]).toMatch(/line 1: "OTA_PORT" is outside any \[section\]/);
    expect(ini.problems[1]).toMatch(/line 3: cannot read/);
  });

  it('accepts the booleans getboolean accepts', () => {
    expect(['True', 'yes', 'on', '1'].map(parseBoolean)).toEqual([true, true, true, true]);
    expect(['False', 'no', 'off', '0'].map(parseBoolean)).toEqual([false, false, false, false]);
    expect(parseBoolean('maybe')).toBeUndefined();
  });
});

describe('loadConfig', () => {
  it('runs on defaults with no file: embedded broker, port 9080, ./firmwares, and creates nothing', () => {
    const result = loadConfig({}, {}, dir);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const c = result.config;
    expect(c.configFile).toBeNull();
    expect(c.mqtt.embedded).toBe(true);
    expect(c.mqtt.brokerPort).toBe(1883);
    expect(c.mqtt.prefixes).toEqual(['homie']);
    expect(c.http).toMatchObject({host: '0.0.0.0', port: 9080, endpoint: '/ota', uploadLimit: 4 * 1024 * 1024});
    expect(c.base64).toBe(true);
    expect(c.concurrency).toBe(2);
    expect(c.firmwareRoot).toBe(path.join(dir, 'firmwares'));
    expect(c.logFile).toBe(path.join(dir, 'homie-ota.log'));
    // reading the settings leaves the disk as it was: the start makes the folders
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(prepareFolders(c, result.label)).toEqual([]);
    expect(fs.statSync(c.firmwareRoot).isDirectory()).toBe(true);
  });

  it("reads the original's homie-ota.ini unchanged", () => {
    write('homie-ota.ini', [
      '[global]', 'DEBUG = True', 'DEBUG_SENSOR = True', 'OTA_HOST = 0.0.0.0', 'OTA_PORT = 9080', 'OTA_ENDPOINT = /ota',
      'OTA_FIRMWARE_ROOT = ./firmwares', 'OTA_BASE_URL = /homie-ota', 'OTA_FIRMWARE_BASE64 = False',
      'HTTP_USER = admin', 'HTTP_PASSWORD = s3cret', '', '[mqtt]', 'MQTT_HOST = localhost', 'MQTT_PORT = 1883',
      'MQTT_USERNAME = jane', 'MQTT_PASSWORD = pw', 'MQTT_SENSOR_PREFIX = devices',
    ].join('\n'));
    const result = loadConfig({}, {}, dir);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual([]);
    const c = result.config;
    expect(c.configFile).toBe(path.join(dir, 'homie-ota.ini'));
    expect(c.debug).toBe(true);
    expect(c.base64).toBe(false);
    expect(c.http).toMatchObject({user: 'admin', password: 's3cret', baseUrl: '/homie-ota'});
    expect(c.mqtt).toMatchObject({embedded: false, host: 'localhost', port: 1883, username: 'jane', password: 'pw', prefixes: ['devices'], tls: false});
  });

  it('lists every bad value with its section, key and what to do, and exits before anything starts', () => {
    const file = write('bad.ini', ['[global]', 'OTA_PORT = abc', 'OTA_FIRMWARE_BASE64 = maybe', 'OTA_UPLOAD_LIMIT = lots',
      '[mqtt]', 'MQTT_CAFILE = /no/such/ca.pem', 'MQTT_PORT = 70000', 'MQTT_SENSOR_PREFIX = homie/#'].join('\n'));
    const result = loadConfig({config: file}, {}, dir);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      expect.stringMatching(/^\[global\] OTA_PORT \(bad\.ini\) "abc": not a port number.*0 to 65535/),
      expect.stringMatching(/^\[global\] OTA_FIRMWARE_BASE64 \(bad\.ini\) "maybe": expected true or false/),
      expect.stringMatching(/^\[global\] OTA_UPLOAD_LIMIT \(bad\.ini\) "lots": not a size/),
      expect.stringMatching(/^\[mqtt\] MQTT_PORT \(bad\.ini\) "70000": not a port number/),
      expect.stringMatching(/^\[mqtt\] MQTT_CAFILE \(bad\.ini\) "\/no\/such\/ca\.pem": cannot read .*ENOENT.*fix the path/),
      expect.stringMatching(/^\[mqtt\] MQTT_SENSOR_PREFIX \(bad\.ini\) "homie\/#": .*contains \+ or #/),
    ]);
  });


  it('refuses a flag given an empty value instead of quietly taking the default', () => {
    for (const flags of [{firmwareDir: ''}, {httpPort: ' '}, {watch: ['build/*.bin', '']}, {logFile: ''}]) {
      const result = loadConfig(flags as never, {}, dir);
      expect(result.ok, JSON.stringify(flags)).toBe(false);
      if (!result.ok) expect(result.errors.join('\n')).toMatch(/^--[a-z-]+ "": an empty value \(an unset variable\?\)/m);
    }
    const watch = loadConfig({watch: ['']} as never, {}, dir);
    expect(watch.ok ? [] : watch.errors.filter(e => !e.startsWith('--watch ""'))).toEqual([]);
    expect(loadConfig({firmwareDir: 'fw'}, {}, dir).ok).toBe(true);
  });
  it('reports a firmware root that cannot be created, naming where it was set', () => {
    write('not-a-dir', 'x');
    const result = loadConfig({firmwareDir: 'not-a-dir/firmwares'}, {}, dir);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const problems = prepareFolders(result.config, result.label);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^--firmware-dir "not-a-dir\/firmwares": cannot create or write .*ENOTDIR.*OTA_FIRMWARE_ROOT/);
    write('homie-ota.ini', '[global]\nOTA_FIRMWARE_ROOT = not-a-dir/store\n');
    const fromFile = loadConfig({}, {}, dir);
    expect(fromFile.ok && prepareFolders(fromFile.config, fromFile.label)).toEqual([
      expect.stringMatching(/^\[global\] OTA_FIRMWARE_ROOT \(homie-ota\.ini\) "not-a-dir\/store": cannot create or write/),
    ]);
  });

  it('a read-only firmware folder is enough with --readonly', () => {
    const root = path.join(dir, 'ro');
    fs.mkdirSync(root, {mode: 0o555});
    const check = (readonly: boolean) => {
      const r = loadConfig({firmwareDir: 'ro', readonly}, {}, dir);
      return r.ok ? prepareFolders(r.config, r.label) : r.errors;
    };
    expect(check(true)).toEqual([]);
    // root may write anywhere: the refusal is only seen as another user
    if (process.getuid?.() !== 0) expect(check(false)).toEqual([expect.stringMatching(/cannot create or write .*EACCES/)]);
  });

  it('never prints a secret value in an error', () => {
    const file = write('s.ini', '[global]\nHTTP_PASSWORD = hunter2\n[mqtt]\nMQTT_PASSWORD = topsecret\nMQTT_CERTFILE = /nope\n');
    const result = loadConfig({config: file}, {}, dir);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join('\n')).not.toMatch(/hunter2|topsecret/);
  });

  it('looks for --config, then $INIFILE, then ./homie-ota.ini', () => {
    write('homie-ota.ini', '[global]\nOTA_PORT = 1111\n');
    write('env.ini', '[global]\nOTA_PORT = 2222\n');
    write('flag.ini', '[global]\nOTA_PORT = 3333\n');
    const port = (flags: object, env: NodeJS.ProcessEnv) => {
      const r = loadConfig(flags, env, dir);
      if (!r.ok) throw new Error(r.errors.join());
      return r.config.http.port;
    };
    expect(port({}, {})).toBe(1111);
    expect(port({}, {INIFILE: 'env.ini'})).toBe(2222);
    expect(port({config: 'flag.ini'}, {INIFILE: 'env.ini'})).toBe(3333);
    const missing = loadConfig({config: 'nope.ini'}, {}, dir);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.errors[0]).toMatch(/--config nope\.ini: no such file/);
  });

  it('lets flags override the file', () => {
    write('homie-ota.ini', '[global]\nOTA_PORT = 1111\nOTA_HOST = 10.0.0.1\n[mqtt]\nMQTT_HOST = broker\nMQTT_SENSOR_PREFIX = devices\n');
    const r = loadConfig({httpPort: '2000', httpHost: '127.0.0.1', mqtt: 'mqtts://u:p%40ss@other:8884', prefix: 'homie,devices/', readonly: true}, {}, dir);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.http.port).toBe(2000);
    expect(r.config.http.host).toBe('127.0.0.1');
    expect(r.config.mqtt).toMatchObject({embedded: false, host: 'other', port: 8884, tls: true, username: 'u', password: 'p@ss', prefixes: ['homie', 'devices']});
    expect(r.config.readonly).toBe(true);
    const embedded = loadConfig({mqtt: 'embedded', brokerPort: '1999'}, {}, dir);
    expect(embedded.ok && embedded.config.mqtt).toMatchObject({embedded: true, host: '127.0.0.1', port: 1999, brokerPort: 1999});
  });

  it('warns about unknown keys instead of failing', () => {
    write('homie-ota.ini', '[global]\nOTA_PROT = 1\n');
    const r = loadConfig({}, {}, dir);
    expect(r.ok && r.warnings).toEqual(['[global] OTA_PROT is not a homie-ota setting; it is ignored']);
  });

  it('parses sizes, prefixes and broker URLs', () => {
    expect(parseSize('4M')).toBe(4 * 1024 * 1024);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('1000')).toBe(1000);
    expect(parsePrefixes(' homie , devices/ ,homie')).toEqual(['homie', 'devices']);
    expect(parsePrefixes(' , ')).toEqual({error: expect.stringMatching(/at least one/)});
    expect(parseMqttUrl('mqtt://broker.local')).toEqual({embedded: false, host: 'broker.local', port: 1883, tls: false, username: undefined, password: undefined});
    expect(parseMqttUrl('mqtts://broker.local')).toMatchObject({port: 8883, tls: true});
    expect(parseMqttUrl('embedded')).toEqual({embedded: true});
    expect(parseMqttUrl('http://x')).toEqual({error: expect.stringMatching(/unsupported scheme http/)});
    expect(parseMqttUrl('not a url')).toEqual({error: expect.stringMatching(/expected mqtt:\/\//)});
  });

  it('checks every key by its kind, and every default passes its own check', () => {
    for (const key of KEYS) expect(valueCheck(key, dir)(key.default), key.key).toMatchObject({ok: true});
    expect(valueCheck(KEYS.find(k => k.key === 'OTA_CONCURRENCY')!, dir)('65')).toEqual({
      ok: false, problem: 'not a number of transfers; use a whole number from 1 to 64',
    });
    expect(valueCheck(KEYS.find(k => k.key === 'OTA_CONCURRENCY')!, dir)('8')).toEqual({ok: true, value: 8});
  });

  it('reads the example settings file without a problem or a warning, and it sets what the defaults set', () => {
    fs.copyFileSync(new URL('../../homie-ota.example.ini', import.meta.url), path.join(dir, 'homie-ota.ini'));
    const fromExample = loadConfig({}, {}, dir);
    fs.rmSync(path.join(dir, 'homie-ota.ini'));
    const defaults = loadConfig({}, {}, dir);
    expect(fromExample.ok && fromExample.warnings).toEqual([]);
    if (!fromExample.ok || !defaults.ok) throw new Error('not loaded');
    const same = (c: typeof defaults.config) => ({...c, configFile: null, mqtt: {...c.mqtt, clientId: ''}});
    expect(same(fromExample.config)).toEqual(same(defaults.config));
  });

  it('has a help text for every key and unique names', () => {
    expect(new Set(KEYS.map(k => k.key)).size).toBe(KEYS.length);
    for (const key of KEYS) expect(key.help.length).toBeGreaterThan(10);
  });
});
