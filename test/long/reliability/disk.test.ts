import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {buildFirmwareImage} from '../../../src/sim/build-image.js';
import {startFleet, type Fleet} from '../../../src/sim/index.js';
import {ensureStopped, startHomieOta, type HomieOtaProcess} from '../../helpers/homie-ota-process.js';
import {freePort} from '../../helpers/ports.js';
import {countStates, jobs, placeFirmware, report, waitInventoryMatches, waitJobsFinal} from '../../helpers/reliability.js';
import {canMount, mountSmallDisk, type SmallDisk} from '../../helpers/small-disk.js';
import {tempDir} from '../../helpers/tmp.js';
import {waitFor} from '../../helpers/wait-for.js';

/**
 * The firmware root on a full disk, then on a read-only one (a tmpfs mounted for the test; root is
 * needed for that), while devices report and OTA jobs run. homie-ota must keep working from memory,
 * say clearly what it cannot write, write nothing half, leave no temporary files, and catch up once
 * the disk is usable again; the files it wrote before must still load. Without permission to mount,
 * the full-disk case runs with RLIMIT_FSIZE instead (a write past the limit fails like a full disk),
 * and the read-only case is reported as not tested.
 */
const CANT = /could not be loaded|\.bad-|unexpected error|unhandled rejection/i;

let proc: HomieOtaProcess | null = null;
let fleet: Fleet | null = null;
let disk: SmallDisk | null = null;
let cleanup: (() => void) | null = null;
afterEach(async () => {
  await fleet?.stop();
  await ensureStopped(proc);
  disk?.unmount();
  cleanup?.();
  proc = fleet = disk = cleanup = null;
});

function upload(p: HomieOtaProcess, file: string, data: Buffer, description = ''): Promise<{status: number; message: string}> {
  const form = new FormData();
  if (description) form.append('description', description);
  form.append('upload', new Blob([data]), file);
  return fetch(`${p.base}/upload`, {method: 'POST', body: form, headers: {accept: 'application/json'}}).then(async res => ({status: res.status, message: ((await res.json()) as {message: string}).message}));
}

/** Temporary files homie-ota might leave behind: ours are hidden and end in .tmp. */
function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter(f => f.endsWith('.tmp') || f.startsWith('.upload-'));
}

describe('a full or read-only firmware root', () => {
  it.runIf(canMount())('disk full, then read-only: clear errors, nothing half-written, everything back afterwards', async () => {
    const tmp = tempDir('homie-ota-disk-');
    cleanup = tmp.cleanup;
    disk = mountSmallDisk(path.join(tmp.dir, 'fw'), 6 * 1024 * 1024);
    const root = disk.dir;
    placeFirmware(root, 'relay-2.0.0.bin', {name: 'relay', version: '2.0.0', size: 150_000});
    const brokerPort = await freePort();
    const args = ['--broker-port', String(brokerPort), '--firmware-dir', root, '--log-file', path.join(tmp.dir, 'homie-ota.log')];
    const watch = [CANT, /cannot (write|save)|written again|read-only|no space/i];
    proc = await startHomieOta({cwd: tmp.dir, args, watch});
    // devices that appear after the first load are saved within a second (during it, within a minute)
    await waitFor(async () => (await proc!.api('/api/inventory')).body.discovery.phase === 'complete', 'the first load', 10_000);
    fleet = startFleet({url: `mqtt://127.0.0.1:${brokerPort}`, specs: Array.from({length: 12}, (_, i) => ({id: `dev-${i + 1}`, fw: 'relay@1.0.0'})),
      flashSpeed: 300_000, rebootDelay: 300, statsInterval: 2});
    await fleet.waitAllAdvertised(15_000);
    await waitInventoryMatches(proc, fleet, 20_000);
    await waitFor(() => fs.existsSync(path.join(root, 'inventory.json')) && JSON.parse(fs.readFileSync(path.join(root, 'inventory.json'), 'utf8')).devices.length === 12, 'inventory.json written', 20_000)
      .catch(error => {
        throw new Error(`${(error as Error).message}: ${fs.readdirSync(root).join(', ')}\n${proc!.tail(30).join('\n')}`);
      });
    const storeBefore = fs.readdirSync(root).filter(f => f.endsWith('.bin')).sort();

    // ---- the disk fills up
    const filled = disk.fill();
    const full = await upload(proc, 'new.bin', buildFirmwareImage({name: 'relay', version: '3.0.0', size: 200_000}), 'made while the disk is full');
    expect(full.status).toBe(507);
    expect(full.message).toMatch(/no space left/i);
    expect(fs.readdirSync(root).filter(f => f.endsWith('.bin')).sort()).toEqual(storeBefore);
    expect(leftovers(root)).toEqual([]);
    // OTA goes on from memory while nothing can be saved
    const created = await proc.api('/api/jobs', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({firmware: 'relay@2.0.0', from: 'relay', canary: false, maxFailures: 100})});
    expect(created.status).toBe(201);
    const finalFull = await waitJobsFinal(proc, 60_000);
    expect(countStates(finalFull)).toEqual({done: 12});
    await waitInventoryMatches(proc, fleet, 20_000);
    await waitFor(() => proc!.matches().some(l => /cannot write .*inventory\.json.*no space/i.test(l)) && proc!.matches().some(l => /cannot save .*jobs\.json.*no space/i.test(l)), 'the save errors shown', 70_000, 250);
    const describe = await proc.api('/api/firmware/relay/2.0.0/description', {method: 'PUT', headers: {'content-type': 'text/plain'}, body: 'cannot be saved now'});
    expect(describe.status).toBeGreaterThanOrEqual(400);
    expect(String(describe.body)).toMatch(/no space left/i);
    // what was written before the disk filled still loads: atomic writes never leave half a file
    expect(JSON.parse(fs.readFileSync(path.join(root, 'inventory.json'), 'utf8')).devices).toHaveLength(12);
    expect(leftovers(root)).toEqual([]);
    expect(proc.running()).toBe(true);

    // ---- space again: saving resumes by itself
    disk.free();
    fleet.device('dev-5')!.reboot(); // a change to save (stats alone would wait for the one-minute save)
    await waitFor(() => proc!.matches().some(l => /inventory\.json is written again/.test(l)), 'inventory.json written again', 70_000, 250);
    await proc.api('/api/jobs', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({firmware: 'relay@2.0.0', device: 'dev-1'})});
    await waitFor(() => proc!.matches().some(l => /jobs\.json is written again/.test(l)), 'jobs.json written again', 10_000, 250);
    const stored = await upload(proc, 'new.bin', buildFirmwareImage({name: 'relay', version: '3.0.0', size: 200_000}), 'after the disk was freed');
    expect(stored.status).toBe(200);

    // ---- read-only
    disk.readonly(true);
    const ro = await upload(proc, 'ro.bin', buildFirmwareImage({name: 'relay', version: '4.0.0', size: 100_000}));
    expect(ro.status).toBeGreaterThanOrEqual(500);
    expect(ro.message).toMatch(/read-only/i);
    const del = await proc.api('/api/firmware/relay/3.0.0', {method: 'DELETE'});
    expect(del.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(del.body)).toMatch(/read-only/i);
    await proc.api('/api/jobs', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({firmware: 'relay@2.0.0', device: 'dev-2'})});
    await waitFor(() => proc!.matches().some(l => /cannot save .*jobs\.json.*read-only/i.test(l)), 'the read-only save error shown', 10_000, 250);
    fleet.device('dev-3')!.reboot();
    await waitFor(() => proc!.matches().some(l => /cannot write .*inventory\.json.*read-only/i.test(l)), 'read-only inventory error', 70_000, 250);
    // a restart on the read-only root is refused, saying why; with --readonly (it writes nothing) it runs
    expect(await proc.stop()).toEqual({code: 0, signal: null});
    const refused = await startHomieOta({cwd: tmp.dir, args, watch, waitReady: false});
    expect((await refused.exited).code).toBe(2);
    const refusal = refused.tail().join('\n');
    expect(refusal).toMatch(/cannot create or write .*\(EROFS\)/);
    proc = await startHomieOta({cwd: tmp.dir, args: [...args, '--readonly'], watch});
    await waitInventoryMatches(proc, fleet, 20_000);
    expect((await jobs(proc)).filter(j => j.state === 'done')).toHaveLength(12);
    expect(await proc.stop()).toEqual({code: 0, signal: null});

    // ---- writable again
    disk.readonly(false);
    proc = await startHomieOta({cwd: tmp.dir, args, watch});
    await waitInventoryMatches(proc, fleet, 20_000);
    fleet.device('dev-4')!.reboot();
    await waitFor(async () => JSON.parse(fs.readFileSync(path.join(root, 'inventory.json'), 'utf8')).devices.length === 12 && (await proc!.api('/api/inventory')).body.lastSaved, 'saved again', 70_000, 250);
    expect(await proc.stop()).toEqual({code: 0, signal: null});
    expect(leftovers(root)).toEqual([]);
    proc = await startHomieOta({cwd: tmp.dir, args, watch});
    await waitInventoryMatches(proc, fleet, 20_000);
    expect((await jobs(proc)).filter(j => j.state === 'done')).toHaveLength(12);
    expect(fs.readdirSync(root).filter(f => f.includes('.bad-'))).toEqual([]);
    expect(proc.matches().filter(l => CANT.test(l))).toEqual([]);
    report('disk full and read-only', [
      `tmpfs of 6 MiB, filled with ${Math.round(filled / 1024)} KiB of filler`,
      `upload while full: ${full.status} "${full.message.slice(0, 110)}"`,
      `description while full: ${describe.status} "${String(describe.body).slice(0, 110)}"`,
      `12 OTA jobs ran to done while nothing could be saved; saves resumed by themselves once space was freed`,
      `upload while read-only: ${ro.status} "${ro.message.slice(0, 110)}"; delete: ${del.status}`,
      `restart on the read-only root: refused with exit 2, "${refusal.split('\n')[0]!.slice(0, 120)}"; with --readonly it started and listed every device and job`,
    ]);
  });

  it('disk full through RLIMIT_FSIZE (works without root): an upload past the limit fails cleanly', async () => {
    const tmp = tempDir('homie-ota-fsize-');
    cleanup = tmp.cleanup;
    if (!canMount()) process.stdout.write('NOTE: mounting a tmpfs is not permitted here: the real disk-full and read-only tests did not run; only RLIMIT_FSIZE was tried\n');
    const root = path.join(tmp.dir, 'fw');
    placeFirmware(root, 'relay-2.0.0.bin', {name: 'relay', version: '2.0.0', size: 50_000});
    proc = await startHomieOta({cwd: tmp.dir, wrapper: ['prlimit', '--fsize=120000', '--'], args: ['--broker-port', '0', '--firmware-dir', root, '--log-file', 'none'], watch: [CANT]});
    const big = await upload(proc, 'big.bin', buildFirmwareImage({name: 'big', version: '1.0.0', size: 300_000}));
    expect(big.status).toBe(507);
    expect(big.message).toMatch(/too large|limit/i);
    expect(leftovers(root)).toEqual([]);
    const small = await upload(proc, 'small.bin', buildFirmwareImage({name: 'small', version: '1.0.0', size: 40_000}));
    expect(small.status).toBe(200);
    expect(fs.readdirSync(root).filter(f => f.endsWith('.bin')).sort()).toEqual(['relay-2.0.0.bin', 'small-1.0.0.bin']);
    expect(proc.running()).toBe(true);
    expect(await proc.stop()).toEqual({code: 0, signal: null});
    report('file size limit (RLIMIT_FSIZE 120 kB)', [`upload of 300 kB: ${big.status} "${big.message.slice(0, 120)}"`, `upload of 40 kB: ${small.status}`]);
  });
});
