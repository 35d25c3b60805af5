import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {loadConfig} from '../../../src/config/load.js';
import {createEngine} from '../../../src/engine/engine.js';
import {RESERVED_SEGMENTS} from '../../../src/engine/http/reserved.js';
import {testConfig} from '../../helpers/config.js';
import {CLI, ensureBuilt} from '../../helpers/pty.js';
import {tempDir} from '../../helpers/tmp.js';

/**
 * Settings that used to be accepted and quietly did something else than the operator meant: each one
 * now stops homie-ota (exit 2) with a line naming the key and what to do.
 */
let dir: string;
let cleanup: () => void;
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(() => cleanup());

function errorsFor(ini: string): string[] {
  fs.writeFileSync(path.join(dir, 'homie-ota.ini'), ini);
  const result = loadConfig({}, {}, dir);
  return result.ok ? [] : [...result.errors];
}

describe('half-set and colliding settings', () => {
  it('refuses HTTP_USER without HTTP_PASSWORD, and the reverse, naming the missing key', () => {
    expect(errorsFor('[global]\nHTTP_USER = admin\n')).toEqual([
      '[global] HTTP_PASSWORD: HTTP_USER is set but HTTP_PASSWORD is not; basic auth needs both (with one alone every route would be open): set HTTP_PASSWORD, or remove HTTP_USER',
    ]);
    const reverse = errorsFor('[global]\nHTTP_PASSWORD = hunter22\n');
    expect(reverse).toEqual([expect.stringMatching(/^\[global\] HTTP_USER: HTTP_PASSWORD is set but HTTP_USER is not; .*set HTTP_USER, or remove HTTP_PASSWORD$/)]);
    expect(reverse.join()).not.toContain('hunter22');
  });

  it('refuses OTA_ENDPOINT_AUTH without credentials, and MQTT_PASSWORD without MQTT_USERNAME', () => {
    expect(errorsFor('[global]\nOTA_ENDPOINT_AUTH = true\n')).toEqual([expect.stringMatching(/^\[global\] OTA_ENDPOINT_AUTH \(homie-ota\.ini\) "true": asks for basic auth .* set OTA_ENDPOINT_AUTH = false$/)]);
    expect(errorsFor('[mqtt]\nMQTT_HOST = broker\nMQTT_PASSWORD = pw123\n')).toEqual([expect.stringMatching(/^\[mqtt\] MQTT_USERNAME: MQTT_PASSWORD is set but MQTT_USERNAME is not/)]);
  });

  it.each(['/healthz', '/api/jobs', '/api', '/upload', '/firmware', '/firmware/x.bin', '/update', '/device/x'])('refuses OTA_ENDPOINT = %s, which collides with its own routes', endpoint => {
    expect(errorsFor(`[global]\nOTA_ENDPOINT = ${endpoint}\n`)).toEqual([
      expect.stringMatching(new RegExp(`^\\[global\\] OTA_ENDPOINT \\(homie-ota\\.ini\\) "${endpoint}": collides with homie-ota's own /${endpoint.split('/')[1]} routes .*choose another path, e\\.g\\. /ota$`)),
    ]);
  });

  it('knows every route homie-ota registers (a new route must be added to the reserved list)', async () => {
    const engine = createEngine(testConfig(dir, {brokerPort: '0'}));
    const endpoint = engine.config.http.endpoint;
    const firsts = new Set(engine.http.routes.filter(r => r.path !== endpoint).map(r => r.path.split('/')[1]!));
    expect([...firsts].filter(first => !RESERVED_SEGMENTS.includes(first))).toEqual([]);
    expect(firsts.size).toBeGreaterThan(3);
  });

  it('accepts endpoints beside its routes', () => {
    for (const endpoint of ['/ota', '/apis', '/firmware-update', '/homie/ota', '/']) expect(errorsFor(`[global]\nOTA_ENDPOINT = ${endpoint}\n`), endpoint).toEqual([]);
  });

  it('refuses an absurd OTA_UPLOAD_LIMIT or LOG_MAX_SIZE instead of taking 1e32 bytes', () => {
    expect(errorsFor('[global]\nOTA_UPLOAD_LIMIT = 99999999999999999999999G\n')).toEqual([
      '[global] OTA_UPLOAD_LIMIT (homie-ota.ini) "99999999999999999999999G": more than the largest size homie-ota accepts here; use 1K to 16M',
    ]);
    expect(errorsFor('[global]\nOTA_UPLOAD_LIMIT = 17M\n')).toHaveLength(1);
    expect(errorsFor('[global]\nOTA_UPLOAD_LIMIT = 16M\n')).toEqual([]);
    expect(errorsFor('[global]\nLOG_MAX_SIZE = 5000G\n')).toEqual([expect.stringMatching(/^\[global\] LOG_MAX_SIZE .*: more than the largest size homie-ota accepts here; use 16K to 1G$/)]);
  });

  it('refuses a key or a section given twice, as the original ConfigParser did', () => {
    expect(errorsFor('[global]\nOTA_PORT = 9080\nota_port = 9090\n[mqtt]\nMQTT_HOST = a\n[global]\nDEBUG = true\n')).toEqual([
      'homie-ota.ini line 3: [global] OTA_PORT is set a second time (first on line 2); keep one of them',
      'homie-ota.ini line 6: [global] appears a second time (first on line 1); put its keys under one [global] (the original homie-ota refused this too)',
    ]);
  });

  it('warns when TLS or port settings are set for a broker that is not used', () => {
    fs.writeFileSync(path.join(dir, 'ca.pem'), 'x');
    fs.writeFileSync(path.join(dir, 'homie-ota.ini'), '[mqtt]\nMQTT_CAFILE = ca.pem\nMQTT_PORT = 8883\n');
    const result = loadConfig({}, {}, dir);
    expect(result.ok && result.warnings).toEqual([expect.stringMatching(/^MQTT_CAFILE, MQTT_PORT are set but not used: homie-ota runs its embedded broker/)]);
  });

  it('gives every start its own MQTT client id', () => {
    const ids = new Set(Array.from({length: 20}, () => {
      const result = loadConfig({}, {}, dir);
      return result.ok ? result.config.mqtt.clientId : '';
    }));
    expect(ids.size).toBe(20);
    for (const id of ids) expect(id).toMatch(new RegExp(`^homie-ota-${process.pid}-[0-9a-f]{4}$`));
  });
});

describe('the built CLI with a hostile homie-ota.ini', () => {
  beforeAll(() => ensureBuilt());

  async function run(ini: string | null, args: string[] = []): Promise<{code: number | null; err: string}> {
    if (ini !== null) fs.writeFileSync(path.join(dir, 'homie-ota.ini'), ini);
    const child = spawn(process.execPath, [CLI, '--headless', '--http-port', '0', '--broker-port', '0', ...args], {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
    let err = '';
    child.stderr.on('data', d => (err += d));
    // a start that hangs (a FIFO opened for reading waits for ever) must not outlive the test
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>(resolve => child.on('exit', resolve));
    clearTimeout(killer);
    return {code, err};
  }

  it('prints escape sequences from the file escaped, never raw, and exits 2 naming the key', async () => {
    const {code, err} = await run('[global]\nOTA_CONCURRENCY = \u001b[2J\u001b]0;owned\u0007\n\u001b[31mjunk line\n');
    expect(code).toBe(2);
    expect(err).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(err).toContain('[global] OTA_CONCURRENCY (homie-ota.ini) "\\x1b[2J\\x1b]0;owned\\x07": not a number of transfers');
    expect(err).toContain('cannot read "\\x1b[31mjunk line"');
  });

  it('exits 2 at once when the ini is a FIFO, instead of waiting for a writer', async () => {
    fs.rmSync(path.join(dir, 'homie-ota.ini'), {force: true});
    const {execFileSync} = await import('node:child_process');
    execFileSync('mkfifo', [path.join(dir, 'homie-ota.ini')]);
    const started = Date.now();
    const {code, err} = await run(null);
    expect(code).toBe(2);
    expect(err).toMatch(/homie-ota\.ini is a FIFO \(named pipe\), not a regular file; give --config/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
