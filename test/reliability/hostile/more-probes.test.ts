import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {loadConfig} from '../../../src/config/load.js';
import {createEngine} from '../../../src/engine/engine.js';
import {buildFirmwareImage} from '../../../src/sim/build-image.js';
import {fileStamp} from '../../../src/engine/util/atomic.js';
import {StartupError} from '../../../src/engine/util/startup-error.js';
import {testConfig} from '../../helpers/config.js';
import {waitFor} from '../../helpers/wait-for.js';
import {age, firmwareWorld, startEngine} from '../../firmware/helpers.js';

/**
 * Probes of the same kinds as the named ones, found while probing as an attacker and a careless
 * operator would: hand-edited state files, settings that do not fit together, odd things where
 * homie-ota keeps its folders.
 */
const TLS = path.resolve('test/fixtures/tls');
const world = firmwareWorld();

describe('hand-edited state files', () => {
  it('a firmware-cache.json entry of the wrong shape is ignored (the file is read again), not a failed start', async () => {
    const file = path.join(world.root, 'relay-1.0.0.bin');
    fs.writeFileSync(file, buildFirmwareImage({name: 'relay', version: '1.0.0'}));
    age(file);
    const stat = fs.statSync(file);
    fs.writeFileSync(path.join(world.root, 'firmware-cache.json'), JSON.stringify({format: 1, entries: {'relay-1.0.0.bin': {size: stat.size, mtimeMs: stat.mtimeMs, added: 1, ident: {md5: 'abc'}}}}));
    world.engine = await startEngine(world.dir);
    expect(world.engine!.firmware.list().map(r => [r.file, r.chip, r.md5.length])).toEqual([['relay-1.0.0.bin', 'esp8266', 32]]);
  });

  it('a jobs.json that cannot be loaded nor moved aside stops the start (exit 2) instead of being written over', async () => {
    const now = Date.UTC(2026, 0, 2, 3, 4, 5);
    fs.writeFileSync(path.join(world.root, 'jobs.json'), '{"version": 1, "jobs": [');
    // something already at the name it would be moved to
    fs.mkdirSync(path.join(world.root, `jobs.json.bad-${fileStamp(now)}`, 'x'), {recursive: true});
    world.engine = createEngine(testConfig(world.dir, {brokerPort: '0'}), {now: () => now});
    const failure = await world.engine!.start().then(() => null, (error: unknown) => error);
    world.engine = null;
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as StartupError).exitCode).toBe(2);
    expect((failure as Error).message).toMatch(/jobs\.json could not be loaded .*, and it cannot be moved aside \(\w+\); homie-ota would write over it: fix its permissions or move it away/);
    expect(fs.readFileSync(path.join(world.root, 'jobs.json'), 'utf8')).toBe('{"version": 1, "jobs": [');
  });
});

describe('settings that do not fit together', () => {
  const errors = (ini: string, flags: Parameters<typeof loadConfig>[0] = {}) => {
    fs.writeFileSync(path.join(world.dir, 'homie-ota.ini'), ini);
    const result = loadConfig(flags, {}, world.dir);
    return result.ok ? [] : result.errors;
  };

  it('the embedded broker and the HTTP server on one port', () => {
    expect(errors('[global]\nOTA_PORT = 8123\n[mqtt]\nMQTT_BROKER_PORT = 8123\n')).toEqual([
      '[mqtt] MQTT_BROKER_PORT (homie-ota.ini) and [global] OTA_PORT (homie-ota.ini) are both 8123: the embedded broker and the HTTP server need a port each; change one of them',
    ]);
    // different addresses may share a port
    expect(errors('[global]\nOTA_HOST = 127.0.0.1\nOTA_PORT = 8123\n[mqtt]\nMQTT_BROKER_HOST = 127.0.0.2\nMQTT_BROKER_PORT = 8123\n')).toEqual([]);
  });

  it('LOG_FILE = /dev/null means no log file', () => {
    fs.writeFileSync(path.join(world.dir, 'homie-ota.ini'), '[global]\nLOG_FILE = /dev/null\n');
    const result = loadConfig({}, {}, world.dir);
    expect(result.ok && result.config.logFile).toBe(null);
  });

  it('a certificate and a key that do not belong together: exit 2 naming both keys', async () => {
    fs.writeFileSync(path.join(world.dir, 't.ini'), `[global]\nHTTP_TLS_CERT = ${TLS}/server.pem\nHTTP_TLS_KEY = ${TLS}/client.key\n`);
    world.engine = createEngine(testConfig(world.dir, {brokerPort: '0', config: path.join(world.dir, 't.ini')}));
    const failure = await world.engine!.start().then(() => null, (error: unknown) => error);
    world.engine = null;
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as Error).message).toMatch(/^\[global\] HTTP_TLS_CERT \/ HTTP_TLS_KEY: cannot use .*server\.pem with .*client\.key \(key values mismatch\); both must be PEM, and the key must be the certificate's$/);
  });
});

describe('odd things in the firmware folder', () => {
  it.each(['a file', 'a link'])('rejected/ being %s: the unusable drop stays, and the log says why', async kind => {
    if (kind === 'a file') fs.writeFileSync(path.join(world.root, 'rejected'), 'not a folder');
    else fs.symlinkSync(world.dir, path.join(world.root, 'rejected'));
    fs.writeFileSync(path.join(world.root, 'junk.bin'), Buffer.alloc(3000, 7));
    age(path.join(world.root, 'junk.bin'));
    world.engine = await startEngine(world.dir, {tuning: {rejectAfterMs: 0}});
    const e = world.engine;
    await waitFor(() => e.logger.recent().some(x => x.message.includes('cannot handle junk.bin')), 'the refusal logged');
    expect(e.logger.recent().find(x => x.message.includes('cannot handle junk.bin'))!.message).toMatch(new RegExp(`rejected is ${kind === 'a file' ? 'a regular file' : 'a symbolic link'}, not a folder: homie-ota moves the files it cannot use there; rename or remove it`));
    expect(fs.existsSync(path.join(world.root, 'junk.bin'))).toBe(true);
    expect(fs.readdirSync(world.dir).filter(f => f.startsWith('junk'))).toEqual([]);
  });
});
