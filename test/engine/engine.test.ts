import net from 'node:net';
import mqtt from 'mqtt';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import {sendText} from '../../src/engine/http/server.js';
import {StartupError} from '../../src/engine/mqtt/embedded-broker.js';
import {testConfig} from '../helpers/config.js';
import {freePort} from '../helpers/ports.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';
import {rawGet} from '../helpers/http.js';

let dir: string;
let cleanup: () => void;
const engines: Engine[] = [];
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(async () => {
  await Promise.all(engines.splice(0).map(e => e.stop()));
  cleanup();
});

async function started(overrides: Parameters<typeof testConfig>[1] = {}): Promise<Engine> {
  const engine = createEngine(testConfig(dir, {brokerPort: '0', ...overrides}));
  engines.push(engine);
  await engine.start();
  return engine;
}

describe('engine with the embedded broker', () => {
  it('starts the broker, connects to it and answers /healthz', async () => {
    const engine = await started();
    await waitFor(() => engine.mqttStatus.state === 'connected', 'connected');
    const res = await fetch(`http://127.0.0.1:${engine.http.boundPort}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/), mqtt: {state: 'connected'}, broker: {embedded: true}});
    expect(typeof body.uptime).toBe('number');
  });

  it('lets LAN devices publish to the embedded broker and retains what they send', async () => {
    const engine = await started({httpHost: '127.0.0.1'});
    const port = engine.broker!.boundPort;
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {clientId: 'device-1'});
    await device.publishAsync('homie/device-1/$state', 'ready', {qos: 1, retain: true});
    await device.endAsync();
    const observer = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    const got = new Promise<string>(resolve => observer.on('message', (_t, p) => resolve(p.toString())));
    await observer.subscribeAsync('homie/+/$state');
    expect(await got).toBe('ready');
    expect(engine.broker!.clients).toBeGreaterThanOrEqual(2);
    await observer.endAsync();
  });

  it('publishes its own status topic, retained: online, then offline on stop', async () => {
    const engine = await started();
    await waitFor(() => engine.mqttStatus.state === 'connected', 'connected');
    const port = engine.broker!.boundPort;
    const observer = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    const first = new Promise<string>(resolve => observer.once('message', (_t, p) => resolve(p.toString())));
    await observer.subscribeAsync('homie-ota/status');
    expect(await first).toBe('online');
    await observer.endAsync();
  });

  it('refuses to start when the broker port is taken, naming MQTT_HOST and --mqtt', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>(resolve => blocker.listen(port, '0.0.0.0', () => resolve()));
    try {
      const engine = createEngine(testConfig(dir, {brokerPort: String(port)}));
      engines.push(engine);
      const error = await engine.start().then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(StartupError);
      expect((error as StartupError).exitCode).toBe(2);
      expect((error as Error).message).toMatch(new RegExp(`port ${port} .*already in use.*MQTT_HOST.*--mqtt`));
    } finally {
      blocker.close();
    }
  });

  it('asks for basic auth on management routes but not on /healthz, comparing in constant time', async () => {
    const engine = createEngine(testConfig(dir, {brokerPort: '0'}, {}));
    // an engine whose HTTP server has credentials
    const withAuth = createEngine({...engine.config, http: {...engine.config.http, user: 'admin', password: 'pw123'}});
    engines.push(withAuth);
    withAuth.http.route('GET', '/api/ping', ({res}) => sendText(res, 200, 'pong'));
    await withAuth.start();
    const base = `http://127.0.0.1:${withAuth.http.boundPort}`;
    const anonymous = await fetch(`${base}/api/ping`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const wrong = await fetch(`${base}/api/ping`, {headers: {authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}`}});
    expect(wrong.status).toBe(401);
    const right = await fetch(`${base}/api/ping`, {headers: {authorization: `Basic ${Buffer.from('admin:pw123').toString('base64')}`}});
    expect(right.status).toBe(200);
    expect(await right.text()).toBe('pong\n');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('answers unknown routes with 404, wrong methods with 405 and path tricks with 400', async () => {
    const engine = await started();
    engine.http.route('GET', '/api/things/:id', ({res, params}) => sendText(res, 200, params.id!));
    const base = `http://127.0.0.1:${engine.http.boundPort}`;
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, {method: 'DELETE'})).status).toBe(405);
    expect((await fetch(`${base}/api/things/a%2F..%2Fb`)).status).toBe(400);
    expect((await rawGet(engine.http.boundPort, '/api/things/%2E%2E')).status).toBe(400);
    expect((await rawGet(engine.http.boundPort, '/api/things/..%5C..%5Cetc')).status).toBe(400);
    expect((await rawGet(engine.http.boundPort, '/api/things/%00')).status).toBe(400);
    expect((await fetch(`${base}/api/things/%zz`)).status).toBe(400);
    const ok = await fetch(`${base}/api/things/relay%201`);
    expect(await ok.text()).toBe('relay 1\n');
  });

  it('keeps the secrets out of the log', async () => {
    const engine = createEngine(testConfig(dir, {brokerPort: '0', mqtt: 'mqtt://jane:verysecret@127.0.0.1:1'}));
    engines.push(engine);
    engine.log.info('connecting with verysecret');
    expect(engine.logger.recent().map(e => e.message).join('\n')).not.toContain('verysecret');
    expect(engine.logger.recent().at(-1)?.message).toBe('connecting with ***');
  });
});
