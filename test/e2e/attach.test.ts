import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {startFleet, type Fleet} from '../../src/sim/index.js';
import {ensureStopped, startHomieOta, type HomieOtaProcess, type StartOptions} from '../helpers/homie-ota-process.js';
import {freePort} from '../helpers/ports.js';
import {ptyContext, spawnCli} from '../helpers/pty.js';
import {waitFor} from '../helpers/wait-for.js';
import {writeFirmware} from '../ota/helpers.js';

/** The service under systemd, and a user who SSHes in and types homie-ota: the dashboard attaches to it. */

const context = ptyContext();
let proc: HomieOtaProcess | null = null;
let fleet: Fleet | null = null;
afterEach(async () => {
  await fleet?.stop();
  fleet = null;
  await ensureStopped(proc);
  proc = null;
});

describe('homie-ota where a service already runs (the built CLI in a pseudo-terminal)', () => {
  it('attaches to it, starts an update from the keyboard and sees it done, rides out a restart of the service, and q leaves the service running', async () => {
    const dir = context.dir;
    const firmwares = path.join(dir, 'firmwares');
    writeFirmware(dir, 'relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 60_000});
    const brokerPort = await freePort();
    const service: StartOptions = {
      cwd: dir,
      // the login the service asks for; the attached dashboard reads it from the same ini
      ini: '[global]\nHTTP_USER = admin\nHTTP_PASSWORD = s3cret-pass\n',
      user: 'admin',
      password: 's3cret-pass',
      httpPort: await freePort(),
      args: ['--mqtt', 'embedded', '--broker-port', String(brokerPort), '--firmware-dir', firmwares, '--log-file', 'none'],
    };
    proc = await startHomieOta(service);
    fleet = startFleet({
      url: `mqtt://127.0.0.1:${brokerPort}`,
      specs: ['aa-relay', 'bb-relay', 'cc-relay'].map(id => ({id, generation: 'v3' as const, fw: 'relay@1.0.0'})),
      flashSpeed: 4_000_000,
      rebootDelay: 300,
    });
    await fleet.waitAllAdvertised(15_000);
    await waitFor(async () => (await proc!.api('/api/devices/aa-relay')).body.otaEnabled === true, 'the devices ready in the service', 20_000);

    const url = `http://127.0.0.1:${service.httpPort}`;
    // every module the attached process loads is written down: it must not load the engine, MQTT or a broker
    const loaded = path.join(dir, 'loaded.txt');
    const hook = path.join(dir, 'record-modules.mjs');
    fs.writeFileSync(hook, `import {register} from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(`import fs from 'node:fs'; export async function resolve(s, c, next) { const r = await next(s, c); fs.appendFileSync(${JSON.stringify(loaded)}, r.url + '\\n'); return r; }`)}));\n`);
    const app = spawnCli(['--firmware-dir', firmwares], {cwd: dir, env: {NODE_OPTIONS: `--import=${hook}`}});
    context.app = app;
    await app.waitForText(`attached to ${url}`, 15_000);
    await app.waitForText('Devices 3/3');
    await app.waitForText('aa-relay');

    // u on the first device, Enter on the upgrade, y: the update runs in the service
    app.press('u');
    await app.waitForText('pick the firmware');
    app.press('\r');
    await app.waitForText('to 1 device?');
    app.press('y');
    await app.waitForText('queued 1 job(s) for relay 1.1.0');
    app.press('3');
    await app.waitForText(/j-1 +aa-relay +relay 1\.1\.0 +done/, 30_000);
    const jobs = await proc.api('/api/jobs');
    expect(jobs.body.jobs.map((j: {id: string; state: string}) => `${j.id} ${j.state}`)).toEqual(['j-1 done']);

    // the service restarts (systemctl restart): the dashboard says so, then is live again
    await proc.stop();
    await app.waitForText(`◌ reconnecting to ${url}`, 10_000);
    proc = await startHomieOta(service);
    await app.waitForText(`attached to ${url}`, 20_000);
    // resynchronised: the finished job once, and the fleet back on the new broker
    const screen = await app.waitForText(/j-1 +aa-relay +relay 1\.1\.0 +done/, 10_000);
    expect(screen.split('\n').filter(line => line.includes('j-1 ')), screen).toHaveLength(1);
    await app.waitForText('Devices 3/3', 20_000);
    // and live: a job started through the API shows up
    await proc.api('/api/jobs', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({device: 'bb-relay', firmware: 'relay@1.1.0'})});
    await app.waitForText(/j-2 +bb-relay +relay 1\.1\.0/, 10_000);

    app.press('q');
    expect(await app.exitCode).toBe(0);
    expect(app.output()).toContain(`detached from ${url}; homie-ota keeps running there`);
    context.app = null;
    const modules = fs.readFileSync(loaded, 'utf8').split('\n');
    expect(modules.some(m => m.endsWith('/dist/ui/run-ui.js')), 'the record holds the dashboard').toBe(true);
    expect(modules.filter(m => /\/dist\/engine\/|\/node_modules\/(mqtt|aedes)\//.test(m))).toEqual([]);
    // dist/ is a bundle: no file it loaded holds the engine, the MQTT client, the inventory, the OTA queue or the broker
    const code = [...new Set(modules.filter(m => m.startsWith('file:') && m.includes('/dist/')))].map(m => [m, fs.readFileSync(new URL(m), 'utf8')] as const);
    expect(code.length).toBeGreaterThan(3);
    expect(code.filter(([, text]) => /\b(Engine|MqttConnection|Inventory|OtaService) = class\b|aedes-persistence/.test(text)).map(([m]) => m)).toEqual([]);
    expect(proc.running()).toBe(true);
    expect((await proc.api('/healthz')).status).toBe(200);
  }, 120_000);

  it('--headless on a folder a service owns still refuses (exit 2); attach to nothing or with a wrong password says why and exits 2', async () => {
    const dir = context.dir;
    const firmwares = path.join(dir, 'firmwares');
    proc = await startHomieOta({cwd: dir, ini: '[global]\nHTTP_USER = admin\nHTTP_PASSWORD = right\n', user: 'admin', password: 'right', args: ['--mqtt', 'embedded', '--broker-port', String(await freePort()), '--firmware-dir', firmwares, '--log-file', 'none']});

    const headless = spawnCli(['--headless', '--firmware-dir', firmwares], {cwd: dir});
    expect(await headless.exitCode).toBe(2);
    expect(headless.output()).toContain('is in use by another homie-ota');

    const wrong = spawnCli(['attach', proc.base, '--user', 'admin'], {cwd: dir, env: {HOMIE_OTA_PASSWORD: 'wrong'}});
    expect(await wrong.exitCode).toBe(2);
    expect(wrong.output()).toContain(`${proc.base} refused the login of admin; check HOMIE_OTA_PASSWORD`);

    const nobody = spawnCli(['attach', `http://127.0.0.1:${await freePort()}`], {cwd: dir});
    expect(await nobody.exitCode).toBe(2);
    expect(nobody.output()).toMatch(/nothing answers at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
    expect(nobody.output()).not.toMatch(/\n\s+at /);
  }, 60_000);
});
