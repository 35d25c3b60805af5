import https from 'node:https';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {engineFixture} from '../helpers/engine-fixture.js';
import {runMosquittoTests} from '../helpers/mosquitto.js';
import {waitFor} from '../helpers/wait-for.js';

const TLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tls');
const tls = (name: string) => path.join(TLS, name);

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
  const world = engineFixture();

  it('serves HTTPS with the configured certificate and key', async () => {
    const {engine} = await world.start({ini: ['[global]', `HTTP_TLS_CERT = ${tls('server.pem')}`, `HTTP_TLS_KEY = ${tls('server.key')}`]});
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
  const world = engineFixture();
  const tlsBroker = () => world.mosquitto({extraConfig: [`cafile ${tls('ca.pem')}`, `certfile ${tls('server.pem')}`, `keyfile ${tls('server.key')}`, 'require_certificate true']});

  it('connects with MQTT_CAFILE and a client certificate', async () => {
    const broker = await tlsBroker();
    const engine = world.create({ini: ['[mqtt]', `MQTT_CAFILE = ${tls('ca.pem')}`, `MQTT_CERTFILE = ${tls('client.pem')}`, `MQTT_KEYFILE = ${tls('client.key')}`], overrides: {mqtt: `mqtt://localhost:${broker.port}`}});
    expect(engine.config.mqtt.tls).toBe(true);
    await engine.start();
    await waitFor(() => engine.mqttStatus.state === 'connected', 'connected over TLS', 10_000);
    expect(engine.mqttStatus.url).toBe(`mqtts://localhost:${broker.port}`);
  });

  it('shows why when the broker wants a client certificate and none is configured', async () => {
    const broker = await tlsBroker();
    const {engine} = await world.start({ini: ['[mqtt]', `MQTT_CAFILE = ${tls('ca.pem')}`], overrides: {mqtt: `mqtt://localhost:${broker.port}`}});
    await waitFor(() => engine.mqttStatus.lastError, 'an error shown', 10_000);
    expect(engine.mqttStatus.state).not.toBe('connected');
  });

  it('logs in with MQTT_USERNAME and MQTT_PASSWORD over TLS, and names the keys when the password is wrong', async () => {
    // the password file must be readable by the user mosquitto drops to when started as root
    const auth = world.tempDir('homie-ota-mqtt-auth-');
    fs.chmodSync(auth, 0o755);
    const passwords = path.join(auth, 'passwords');
    fs.writeFileSync(passwords, '');
    execFileSync('mosquitto_passwd', ['-b', passwords, 'homie-ota', 'broker-s3cret']);
    fs.chmodSync(passwords, 0o644);
    const broker = await world.mosquitto({extraConfig: [`cafile ${tls('ca.pem')}`, `certfile ${tls('server.pem')}`, `keyfile ${tls('server.key')}`, 'allow_anonymous false', `password_file ${passwords}`]});
    const ini = (password: string) => ['[mqtt]', `MQTT_CAFILE = ${tls('ca.pem')}`, 'MQTT_USERNAME = homie-ota', `MQTT_PASSWORD = ${password}`];
    const refused = (await world.start({ini: ini('wrong'), overrides: {mqtt: `mqtt://localhost:${broker.port}`}})).engine;
    await waitFor(() => refused.mqttStatus.lastError, 'the refusal shown', 10_000);
    expect(refused.mqttStatus.lastError).toMatch(/check MQTT_USERNAME \/ MQTT_PASSWORD/);
    expect(refused.mqttStatus.state).not.toBe('connected');
    await refused.stop();

    const {engine} = await world.start({ini: ini('broker-s3cret'), overrides: {mqtt: `mqtt://localhost:${broker.port}`}});
    await waitFor(() => engine.mqttStatus.state === 'connected', 'connected over TLS with the password', 10_000);
    expect(JSON.stringify(engine.health())).not.toContain('broker-s3cret');
  });
});
