import https from 'node:https';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import {testConfig} from '../helpers/config.js';
import {runMosquittoTests, startMosquitto, type Mosquitto} from '../helpers/mosquitto.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';

const TLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tls');
const tls = (name: string) => path.join(TLS, name);

let dir: string;
let cleanup: () => void;
let engine: Engine | null = null;
let broker: Mosquitto | null = null;
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(async () => {
  await engine?.stop();
  engine = null;
  await broker?.stop();
  broker = null;
  cleanup();
});

function httpsGet(port: number, pathname: string, ca?: Buffer): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const req = https.get({host: '127.0.0.1', port, path: pathname, ca, servername: 'localhost'}, res => {
      let body = '';
      res.on('data', d => (body += d));
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}));
    });
    req.on('error', reject);
  });
}

describe('HTTPS', () => {
  it('serves HTTPS with the configured certificate and key', async () => {
    fs.writeFileSync(path.join(dir, 'homie-ota.ini'), `[global]\nHTTP_TLS_CERT = ${tls('server.pem')}\nHTTP_TLS_KEY = ${tls('server.key')}\n`);
    engine = createEngine(testConfig(dir, {brokerPort: '0'}));
    await engine.start();
    expect(engine.otaUrl).toMatch(/^https:\/\//);
    const answer = await httpsGet(engine.http.boundPort, '/healthz', fs.readFileSync(tls('ca.pem')));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).version).toBeTruthy();
    // a client that does not trust the CA is refused by TLS, not served in clear
    await expect(httpsGet(engine.http.boundPort, '/healthz')).rejects.toThrow(/self.signed|unable to verify|certificate/i);
  });
});

describe.runIf(runMosquittoTests)('MQTT over TLS', () => {
  // the TLS settings follow the helper's listener line, so they apply to it
  const tlsBroker = () => startMosquitto({extraConfig: [`cafile ${tls('ca.pem')}`, `certfile ${tls('server.pem')}`, `keyfile ${tls('server.key')}`, 'require_certificate true']});

  it('connects with MQTT_CAFILE and a client certificate', async () => {
    broker = await tlsBroker();
    fs.writeFileSync(path.join(dir, 'homie-ota.ini'), `[mqtt]\nMQTT_CAFILE = ${tls('ca.pem')}\nMQTT_CERTFILE = ${tls('client.pem')}\nMQTT_KEYFILE = ${tls('client.key')}\n`);
    engine = createEngine(testConfig(dir, {mqtt: `mqtt://localhost:${broker.port}`}));
    expect(engine.config.mqtt.tls).toBe(true);
    await engine.start();
    await waitFor(() => engine!.mqttStatus.state === 'connected', 'connected over TLS', 10_000);
    expect(engine.mqttStatus.url).toBe(`mqtts://localhost:${broker.port}`);
  });

  it('shows why when the broker wants a client certificate and none is configured', async () => {
    broker = await tlsBroker();
    fs.writeFileSync(path.join(dir, 'homie-ota.ini'), `[mqtt]\nMQTT_CAFILE = ${tls('ca.pem')}\n`);
    engine = createEngine(testConfig(dir, {mqtt: `mqtt://localhost:${broker.port}`}));
    await engine.start();
    await waitFor(() => engine!.mqttStatus.lastError, 'an error shown', 10_000);
    expect(engine.mqttStatus.state).not.toBe('connected');
  });

  it('logs in with MQTT_USERNAME and MQTT_PASSWORD over TLS, and names the keys when the password is wrong', async () => {
    // the password file must be readable by the user mosquitto drops to when started as root
    const auth = fs.mkdtempSync('/tmp/homie-ota-mqtt-auth-');
    fs.chmodSync(auth, 0o755);
    const passwords = path.join(auth, 'passwords');
    fs.writeFileSync(passwords, '');
    execFileSync('mosquitto_passwd', ['-b', passwords, 'homie-ota', 'broker-s3cret']);
    fs.chmodSync(passwords, 0o644);
    try {
      broker = await startMosquitto({extraConfig: [`cafile ${tls('ca.pem')}`, `certfile ${tls('server.pem')}`, `keyfile ${tls('server.key')}`, 'allow_anonymous false', `password_file ${passwords}`]});
      const ini = (password: string) => fs.writeFileSync(path.join(dir, 'homie-ota.ini'), `[mqtt]\nMQTT_CAFILE = ${tls('ca.pem')}\nMQTT_USERNAME = homie-ota\nMQTT_PASSWORD = ${password}\n`);
      ini('wrong');
      engine = createEngine(testConfig(dir, {mqtt: `mqtt://localhost:${broker.port}`}));
      await engine.start();
      await waitFor(() => engine!.mqttStatus.lastError, 'the refusal shown', 10_000);
      expect(engine.mqttStatus.lastError).toMatch(/check MQTT_USERNAME \/ MQTT_PASSWORD/);
      expect(engine.mqttStatus.state).not.toBe('connected');
      await engine.stop();

      ini('broker-s3cret');
      engine = createEngine(testConfig(dir, {mqtt: `mqtt://localhost:${broker.port}`}));
      await engine.start();
      await waitFor(() => engine!.mqttStatus.state === 'connected', 'connected over TLS with the password', 10_000);
      expect(JSON.stringify(engine.health())).not.toContain('broker-s3cret');
    } finally {
      fs.rmSync(auth, {recursive: true, force: true});
    }
  });
});
