import {spawn} from 'node:child_process';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {LINES_PER_SECOND} from '../../src/headless/device-report.js';
import {startFleet, type Fleet} from '../../src/sim/index.js';
import {startHomieOta, type HomieOtaProcess} from '../helpers/homie-ota-process.js';
import {freePort} from '../helpers/ports.js';
import {CLI, ensureBuilt} from '../helpers/pty.js';
import {tempDir} from '../helpers/tmp.js';
import {sleep, waitFor} from '../helpers/wait-for.js';
import {writeFirmware} from '../ota/helpers.js';

let proc: HomieOtaProcess | null = null;
let fleet: Fleet | null = null;
let tmp: ReturnType<typeof tempDir> | null = null;
afterEach(async () => {
  await fleet?.stop();
  fleet = null;
  await proc?.stop();
  proc = null;
  tmp?.cleanup();
  tmp = null;
});

const DEVICES = 300;
/** "2026-11-29T17:58:56.268Z INFO  devices: homie/x appeared (…)" → "INFO  devices: homie/x appeared (…)" */
const body = (line: string) => line.replace(/^\S+ /, '');

describe('headless output for a sysadmin (the built CLI, no terminal)', () => {
  it('prints a count, not a line per device, when hundreds appear; then one line per device that goes, comes back or changes firmware; never a line twice', async () => {
    tmp = tempDir();
    writeFirmware(tmp.dir, 'relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 60_000});
    const brokerPort = await freePort();
    proc = await startHomieOta({
      cwd: tmp.dir,
      args: ['--mqtt', 'embedded', '--broker-port', String(brokerPort), '--firmware-dir', path.join(tmp.dir, 'firmwares'), '--log-file', 'none'],
      watch: [/./],
    });
    const all = () => proc!.matches();
    const deviceLines = () => all().filter(l => / devices: /.test(l));
    await waitFor(async () => (await proc!.api('/api/firmware')).body.firmware.length === 1, 'the firmware to be listed', 10_000);

    fleet = startFleet({
      url: `mqtt://127.0.0.1:${brokerPort}`,
      specs: Array.from({length: DEVICES}, (_, i) => ({id: `hl-${String(i + 1).padStart(4, '0')}`, generation: 'v3' as const, fw: 'relay@1.0.0'})),
      flashSpeed: 4_000_000,
      rebootDelay: 300,
      // a few shared connections: hundreds of their own would test the machine, not the output
      mode: 'multiplexed',
      publishRate: 20_000,
    });
    await fleet.waitAllAdvertised(30_000);
    await waitFor(async () => (await proc!.api('/api/inventory')).body.total === DEVICES, 'every device in the inventory', 20_000);
    // the last second's count comes when the second ends
    await sleep(2500);

    const start = deviceLines();
    const one = start.filter(l => /appeared \(/.test(l));
    // printed a moment after they appeared, with what they had sent by then
    for (const line of one) expect(line).toMatch(/appeared \((init|ready), (relay 1\.0\.0|firmware not reported yet)(, [\d.]+)?\)$/);
    const counted = start.filter(l => l.includes('in the last second')).map(l => Number(/ ([\d,]+) appeared/.exec(l)?.[1]?.replace(/,/g, '') ?? 0));
    expect(one.length + counted.reduce((a, b) => a + b, 0), start.join('\n')).toBe(DEVICES);
    // a few one by one, then a count per second while they keep coming (more seconds on a busy machine)
    expect(one.length, start.join('\n')).toBeLessThanOrEqual(2 * LINES_PER_SECOND);
    expect(start.length, start.join('\n')).toBeLessThan(DEVICES / 10);
    expect(start.some(l => new RegExp(`${DEVICES} devices known`).test(l)), start.join('\n')).toBe(true);

    // one line per device that goes, naming it
    const gone = fleet.devices.slice(0, 3);
    for (const d of gone) await d.goOffline({will: true});
    await waitFor(() => gone.every(d => deviceLines().some(l => l.includes(`WARN  devices: ${d.key} is lost (was ready)`))), 'a line for each lost device', 10_000);
    gone[0]!.goOnline();
    await waitFor(() => deviceLines().some(l => new RegExp(`devices: ${gone[0]!.key} is back: (init|ready) after \\d+s \\(was lost\\)`).test(l)), 'the line for the device that came back', 15_000);

    // a firmware change: an update through the API, once the device's attributes are all in
    await waitFor(async () => (await proc!.api(`/api/devices/${fleet!.devices[10]!.id}`)).body.otaEnabled === true, 'the device to announce OTA', 20_000);
    const created = await proc.api('/api/jobs', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({device: fleet.devices[10]!.id, firmware: 'relay@1.1.0'})});
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const key = fleet.devices[10]!.key;
    await waitFor(() => deviceLines().some(l => l.includes(`devices: ${key}`) && l.includes('now runs relay 1.1.0 (was relay 1.0.0)')), 'the firmware line', 20_000).catch(async (error: Error) => {
      // say why: where the job is, and what was printed about the device
      const job = (await proc!.api('/api/jobs')).body.jobs?.find((j: {deviceKey: string}) => j.deviceKey === key);
      throw new Error(`${error.message}; the job: ${JSON.stringify(job?.timeline ?? job)}; lines about it: ${deviceLines().filter(l => l.includes(key)).join(' | ')}`);
    });

    // nothing said twice in a row, no dashboard hints
    const lines = all().map(body);
    for (let i = 1; i < lines.length; i++) expect(lines[i], `line ${i} repeats the one before`).not.toBe(lines[i - 1]);
    expect(all().filter(l => /press \d|in the Devices view|the Queue view/.test(l))).toEqual([]);
  }, 90_000);

  it('the demo without a terminal: no "demo: demo:", no key to press', async () => {
    ensureBuilt();
    tmp = tempDir();
    // stdin and stdout are pipes: headless without being asked
    const child = spawn(process.execPath, [CLI, '--demo', '4'], {cwd: tmp.dir, env: {...process.env, TMPDIR: tmp.dir}, stdio: ['pipe', 'pipe', 'pipe']});
    let out = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (out += d));
    const exited = new Promise(resolve => child.on('exit', resolve));
    try {
      await waitFor(() => /INFO {2}demo: 2 update\(s\) started \(kitchen-light → demo-light 1\.1\.0, boiler-relay → demo-relay 3\.2\.0\)\n/.test(out), `the demo's updates; output so far:\n${out}`, 30_000);
      expect(out).not.toMatch(/demo: demo:/);
      expect(out).not.toMatch(/press \d/);
      expect(out).toMatch(/INFO {2}devices: and \d+ more device changes? in the last second|INFO {2}devices: homie\/kitchen-light appeared/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
