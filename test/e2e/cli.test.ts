import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {CLI, ensureBuilt, spawnCli, type PtyApp} from '../helpers/pty.js';
import {freePort} from '../helpers/ports.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';
import {getJson} from '../helpers/http.js';
import {deviceTopics, RawPublisher} from '../helpers/homie-publisher.js';

let dir: string;
let cleanup: () => void;
let app: PtyApp | null = null;
beforeAll(() => ensureBuilt());
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(async () => {
  if (app) {
    app.kill('SIGKILL');
    await app.exitCode;
  }
  app = null;
  cleanup();
});

async function ports(): Promise<string[]> {
  return ['--broker-port', String(await freePort()), '--http-port', String(await freePort())];
}

describe('the built CLI in a real terminal', () => {
  it('starts the dashboard at 100×30, shows the header, and q exits 0 with the terminal restored', async () => {
    const started = Date.now();
    app = spawnCli(await ports(), {cwd: dir, cols: 100, rows: 30});
    await app.waitForText(/MQTT ● connected embedded/);
    expect(Date.now() - started).toBeLessThan(5000);
    const screen = app.screen();
    expect(screen[0]).toMatch(/^homie-ota {2}MQTT ● connected embedded :\d+, 1 client {2}OTA http:\/\/.*:\d+\/ota/);
    expect(screen[1]).toMatch(/1 Devices/);
    app.press('4');
    await app.waitForText('connected to mqtt://127.0.0.1');
    app.press('q');
    expect(await app.exitCode).toBe(0);
    const out = app.output();
    expect(out).toContain('\u001B[?1049h');
    expect(out.lastIndexOf('\u001B[?1049l')).toBeGreaterThan(out.lastIndexOf('\u001B[?1049h'));
    expect(out).toContain('\u001B[?25h');
  });

  it('fits an 80×24 terminal, reflows on resize and quits with Ctrl+C', async () => {
    app = spawnCli(await ports(), {cwd: dir, cols: 80, rows: 24});
    await app.waitForText('homie-ota');
    await app.waitForText('? help');
    const screen = app.screen();
    // the footer sits on the second-to-last row: the frame is one line shorter than the terminal
    expect(screen.findIndex(line => line.includes('? help'))).toBe(22);
    app.resize(60, 20);
    await waitFor(() => app!.screen().findIndex(line => line.includes('? help')) === 18, 'footer moved after resize');
    app.press('\u0003');
    expect(await app.exitCode).toBe(0);
  });

  it('draws no colour with NO_COLOR, yet the cursor row, the active view and marks stay visible', async () => {
    const args = await ports();
    app = spawnCli(args, {cwd: dir, env: {NO_COLOR: '1', FORCE_COLOR: undefined}});
    await app.waitForText(/MQTT ● connected/);
    const publisher = await RawPublisher.connect(Number(args[1]));
    for (const id of ['alpha', 'beta', 'gamma']) for (const [topic, payload] of deviceTopics('v3', 'homie', id)) await publisher.publish(topic, payload);
    await publisher.close();
    await app.waitForText('gamma');
    // mark alpha (the cursor moves on to beta), then move down to gamma
    app.press(' ');
    await app.waitForText('1 marked');
    app.press('j');
    await waitFor(() => app!.styled(app!.screen().findIndex(l => l.includes('gamma'))).inverse.includes('gamma'), 'the cursor on gamma', 10_000);
    const screen = app.screen();
    const row = (id: string) => screen.findIndex(l => l.includes(id));
    expect(screen[row('alpha')]).toMatch(/^✓ /);
    expect(screen[row('beta')]).toMatch(/^ {2}● /);
    expect(app.styled(row('gamma')).inverse).toContain('gamma');
    expect(app.styled(row('alpha')).inverse + app.styled(row('beta')).inverse).toBe('');
    expect(app.styled(1).inverse.trim()).toMatch(/^1 Devices 3\/3$/);
    app.press('4');
    await waitFor(() => app!.styled(1).inverse.trim().startsWith('4 Log'), 'the Log tab in inverse video', 10_000);
    expect(app.coloredCells()).toBe(0);
    app.press('q');
    expect(await app.exitCode).toBe(0);
    // styles (inverse, bold) were drawn, colours never: no SGR 30–49 or 90–107 in anything written
    const params = [...app.output().matchAll(/\u001B\[([0-9;]*)m/g)].flatMap(m => m[1]!.split(';')).map(Number);
    expect(params).toContain(7);
    expect(params.filter(n => (n >= 30 && n <= 49) || (n >= 90 && n <= 107))).toEqual([]);
  });

  it('hides and refuses changes in --readonly', async () => {
    app = spawnCli([...(await ports()), '--readonly'], {cwd: dir});
    await app.waitForText('[read-only]');
    expect(app.screen().join('\n')).not.toMatch(/forget|update/);
    app.press('D');
    await app.waitForText('read-only mode (--readonly)');
    app.press('q');
    expect(await app.exitCode).toBe(0);
  });

  it('shuts down cleanly on SIGHUP (the SSH session ended)', async () => {
    app = spawnCli(await ports(), {cwd: dir});
    await app.waitForText('homie-ota');
    app.kill('SIGHUP');
    expect(await app.exitCode).toBe(0);
  });

  it('shuts down cleanly on SIGTERM while the dashboard runs', async () => {
    app = spawnCli(await ports(), {cwd: dir});
    await app.waitForText('homie-ota');
    app.kill('SIGTERM');
    expect(await app.exitCode).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'homie-ota.log'), 'utf8')).toMatch(/SIGTERM received; shutting down[\s\S]*stopped/);
  });
});

describe('the built CLI without a terminal', () => {
  it('runs headless when stdin is not a TTY: log lines on stdout, /healthz answers, SIGTERM exits 0', async () => {
    const [, brokerPort, , httpPort] = await ports();
    const child = spawn(process.execPath, [CLI, '--broker-port', brokerPort!, '--http-port', httpPort!], {cwd: dir, stdio: ['pipe', 'pipe', 'pipe']});
    let out = '';
    child.stdout.on('data', d => (out += d));
    const exit = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    await waitFor(() => out.includes('connected to mqtt://'), 'headless connected', 8000);
    const health = await getJson(`http://127.0.0.1:${httpPort}/healthz`);
    expect(health).toMatchObject({status: 'ok', mqtt: {state: 'connected'}});
    expect(out).not.toMatch(/\u001B\[/);
    expect(out.split('\n')[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}app: homie-ota \S+ starting on defaults/);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(out).toMatch(/INFO {2}app: stopped/);
  });

  it('exits 2 before starting when a setting is wrong, one line per problem', async () => {
    fs.writeFileSync(path.join(dir, 'homie-ota.ini'), '[global]\nOTA_PORT = abc\n[mqtt]\nMQTT_CAFILE = missing.pem\n');
    const child = spawn(process.execPath, [CLI, '--headless'], {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
    let err = '';
    child.stderr.on('data', d => (err += d));
    const code = await new Promise<number | null>(resolve => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toEqual([
      expect.stringMatching(/^homie-ota: \[global\] OTA_PORT \(homie-ota\.ini\) "abc": not a port number/),
      expect.stringMatching(/^homie-ota: \[mqtt\] MQTT_CAFILE \(homie-ota\.ini\) "missing\.pem": cannot read/),
      'homie-ota: not started; fix the settings above (homie-ota --help lists them).',
    ]);
  });

  it('exits 2 at once when a port is taken, headless and in a terminal, naming what to change', async () => {
    const holder = net.createServer();
    await new Promise<void>(resolve => holder.listen(0, '0.0.0.0', resolve));
    const taken = String((holder.address() as net.AddressInfo).port);
    try {
      for (const args of [['--broker-port', taken, '--http-port', '0'], ['--broker-port', '0', '--http-port', taken]]) {
        const started = Date.now();
        const child = spawn(process.execPath, [CLI, '--headless', ...args], {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
        let err = '';
        child.stderr.on('data', d => (err += d));
        const code = await new Promise<number | null>(resolve => child.on('exit', resolve));
        expect(code, err).toBe(2);
        expect(err).toMatch(args[1] === taken ? /port \d+ .*already in use.*--mqtt/ : /port is in use; set OTA_PORT or pass --http-port/);
        // nothing left running keeps the process alive after the refusal
        expect(Date.now() - started).toBeLessThan(5000);
      }
      const app = spawnCli(['--broker-port', taken, '--http-port', '0'], {cwd: dir, cols: 100, rows: 30});
      const code = await Promise.race([app.exitCode, new Promise<number>(resolve => setTimeout(() => resolve(-1), 8000))]);
      if (code === -1) app.kill();
      expect(code).toBe(2);
    } finally {
      holder.close();
    }
  });

  it('prints --version and a --help that lists every flag', async () => {
    const run = (args: string[]) => new Promise<string>(resolve => {
      const child = spawn(process.execPath, [CLI, ...args], {cwd: dir});
      let out = '';
      child.stdout.on('data', d => (out += d));
      child.on('exit', () => resolve(out));
    });
    const pkg = JSON.parse(fs.readFileSync(path.join(CLI, '../../package.json'), 'utf8'));
    expect((await run(['--version'])).trim()).toBe(pkg.version);
    const help = await run(['--help']);
    for (const flag of ['--config', '--mqtt', '--broker-port', '--prefix', '--http-host', '--http-port', '--firmware-dir', '--headless', '--readonly', '--log-file', '--demo', '--no-watch', '--concurrency']) {
      expect(help).toContain(flag);
    }
  });
});
