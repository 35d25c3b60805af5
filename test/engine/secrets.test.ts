import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {engineFixture} from '../helpers/engine-fixture.js';
import {renderDashboard} from '../helpers/render-ui.js';
import {waitFor} from '../helpers/wait-for.js';

const MQTT_SECRET = 'mqtt-pa55-word';
const HTTP_SECRET = 'http-pa55-word';

describe('secrets and files', () => {
  const world = engineFixture();

  it('never shows a password in the log, the log file, the API, or the dashboard', async () => {
    const dir = world.dir;
    const broker = await world.aedes();
    // the broker checks the credentials, so the password really is used
    broker.aedes.authenticate = (_client, username, password, done) => done(null, username === 'jane' && password?.toString() === MQTT_SECRET);
    fs.writeFileSync(path.join(dir, 'homie-ota.ini'), [
      '[global]', 'LOG_FILE = homie-ota.log', 'DEBUG = true', 'HTTP_USER = admin', `HTTP_PASSWORD = ${HTTP_SECRET}`,
      '[mqtt]', 'MQTT_USERNAME = jane', `MQTT_PASSWORD = ${MQTT_SECRET}`,
    ].join('\n'));
    const engine = world.create({overrides: {mqtt: broker.url, logFile: 'homie-ota.log', debug: true}});
    await engine.start();
    await waitFor(() => engine.mqttStatus.state === 'connected', 'connected with the password');
    engine.log.info(`a careless message with ${MQTT_SECRET} and ${HTTP_SECRET} in it`);
    const auth = {authorization: `Basic ${Buffer.from(`admin:${HTTP_SECRET}`).toString('base64')}`};
    const base = `http://127.0.0.1:${engine.http.boundPort}`;
    const answers = await Promise.all(['/healthz', '/api/devices', '/api/jobs', '/api/firmware'].map(async p => {
      const res = await fetch(`${base}${p}`, {headers: auth});
      expect(res.status, p).toBe(200);
      return res.text();
    }));
    const ui = await renderDashboard(engine, {initialView: 'log'});
    await ui.waitForText('careless');
    const frame = ui.frame();
    ui.unmount();
    await engine.stop();
    const logFile = fs.readFileSync(path.join(dir, 'homie-ota.log'), 'utf8');
    for (const text of [...answers, frame, logFile, engine.logger.recent().map(e => e.message).join('\n')]) {
      expect(text).not.toContain(MQTT_SECRET);
      expect(text).not.toContain(HTTP_SECRET);
    }
    expect(logFile).toContain('a careless message with *** and *** in it');
  });

  it('writes its own files readable by the owner and group only, and nothing world-writable', async () => {
    const {engine, dir} = await world.start({overrides: {logFile: 'homie-ota.log'}});
    engine.ota.create({deviceKeys: [], firmware: {name: 'x', version: '1'}});
    await engine.stop();
    const root = engine.config.firmwareRoot;
    const stateFiles = fs.readdirSync(root).filter(f => f.endsWith('.json'));
    expect(stateFiles).toContain('jobs.json');
    for (const file of stateFiles) {
      const mode = fs.statSync(path.join(root, file)).mode & 0o777;
      expect(mode & 0o007, `${file} mode ${mode.toString(8)}`).toBe(0);
    }
    const logMode = fs.statSync(path.join(dir, 'homie-ota.log')).mode & 0o777;
    expect(logMode & 0o007).toBe(0);
    for (const name of fs.readdirSync(root)) {
      expect(fs.statSync(path.join(root, name)).mode & 0o002, name).toBe(0);
    }
  });
});
