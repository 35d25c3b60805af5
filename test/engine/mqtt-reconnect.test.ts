import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {createEngine, type Engine} from '../../src/engine/engine.js';
import {startMosquitto, runMosquittoTests, type Mosquitto} from '../helpers/mosquitto.js';
import {startAedes} from '../helpers/aedes.js';
import {testConfig} from '../helpers/config.js';
import {freePort} from '../helpers/ports.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';
import {getJson} from '../helpers/http.js';

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

describe.runIf(runMosquittoTests)('engine against a real mosquitto', () => {
  it('connects, and reports health', async () => {
    broker = await startMosquitto();
    engine = createEngine(testConfig(dir, {mqtt: broker.url}));
    await engine.start();
    await waitFor(() => engine!.mqttStatus.state === 'connected', 'connected to mosquitto');
    const health = await getJson(`http://127.0.0.1:${engine.http.boundPort}/healthz`);
    expect(health.mqtt).toMatchObject({state: 'connected', url: broker.url});
    expect(health.broker).toEqual({embedded: false});
  });

  it('starts while the broker is down, shows why, and recovers when it comes up', async () => {
    const port = await freePort();
    engine = createEngine(testConfig(dir, {mqtt: `mqtt://127.0.0.1:${port}`}));
    const states: string[] = [];
    engine.bus.on('mqtt', s => states.push(s.state));
    await engine.start();
    await waitFor(() => engine!.mqttStatus.lastError?.startsWith('ECONNREFUSED'), 'connection refused reported');
    expect(engine.mqttStatus.state).not.toBe('connected');
    const health = await getJson(`http://127.0.0.1:${engine.http.boundPort}/healthz`);
    expect(health.status).toBe('degraded');
    expect(health.mqtt.lastError).toMatch(/ECONNREFUSED/);
    broker = await startMosquitto({port});
    await waitFor(() => engine!.mqttStatus.state === 'connected', 'reconnected', 10_000);
    expect(states).toContain('reconnecting');
    expect(engine.mqttStatus.connects).toBe(1);
    // and again after the broker is killed and restarted
    await broker.stop(true);
    await waitFor(() => engine!.mqttStatus.state === 'reconnecting', 'lost the broker');
    await broker.restart();
    await waitFor(() => engine!.mqttStatus.connects === 2, 'reconnected twice', 10_000);
  });
});

describe('engine against an external aedes', () => {
  it('reconnects after the broker restarts on the same port', async () => {
    let aedes = await startAedes();
    const port = aedes.port;
    engine = createEngine(testConfig(dir, {mqtt: aedes.url}));
    await engine.start();
    await waitFor(() => engine!.mqttStatus.state === 'connected', 'connected');
    await aedes.close();
    await waitFor(() => engine!.mqttStatus.state !== 'connected', 'noticed the loss');
    aedes = await startAedes(port);
    await waitFor(() => engine!.mqttStatus.connects === 2, 'reconnected', 10_000);
    await engine.stop();
    engine = null;
    await aedes.close();
  });
});
