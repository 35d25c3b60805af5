import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {loadInventory, saveInventory} from '../../../src/engine/inventory/persistence.js';
import {CLI, ensureBuilt} from '../../helpers/pty.js';
import {bigInventoryFile} from '../../helpers/state-files.js';
import {tempDir} from '../../helpers/tmp.js';
import {waitFor} from '../../helpers/wait-for.js';

/**
 * State files that are not what they should be: FIFOs, folders and links where homie-ota keeps its
 * files (a FIFO used to block the start in open() for ever, deaf even to SIGTERM), and files far over
 * the caps (what is left out must be said truthfully, and the original kept).
 */
let dir: string;
let cleanup: () => void;
beforeAll(() => ensureBuilt());
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(() => cleanup());

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
}

/** The built CLI, headless, on free ports; killed after `limitMs` if it has not ended by itself. */
async function runCli(args: string[] = [], limitMs = 10_000, onOutput?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, '--headless', '--http-port', '0', '--broker-port', '0', '--http-host', '127.0.0.1', ...args], {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  let err = '';
  child.stdout.on('data', d => {
    out += d;
    onOutput?.(out, child);
  });
  child.stderr.on('data', d => (err += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(killer);
  return {code, signal, out, err, ms: Date.now() - started};
}

const firmwares = () => path.join(dir, 'firmwares');

describe('something else than a regular file where homie-ota keeps its state', () => {
  it.each([
    ['jobs.json', 'its OTA queue'],
    ['inventory.json', 'its device inventory'],
    ['firmware-cache.json', 'what it learnt about each firmware file'],
  ])('a FIFO named %s: exit 2 at once naming it, the FIFO left alone', async (name, holds) => {
    fs.mkdirSync(firmwares());
    const fifo = path.join(firmwares(), name);
    execFileSync('mkfifo', [fifo]);
    const run = await runCli();
    expect(run.signal, `${run.err}\n${run.out}`).toBeNull();
    expect(run.code).toBe(2);
    expect(run.ms).toBeLessThan(8000);
    process.stdout.write(`FIFO named ${name}: exit ${run.code} after ${run.ms} ms\n`);
    expect(run.err).toContain(`homie-ota: ${fifo} is a FIFO (named pipe), not a regular file; homie-ota keeps ${holds} in that file and will neither read nor replace anything else: remove or rename it, then start homie-ota again`);
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
    // the folder is not left locked by the refused start
    expect(fs.existsSync(path.join(firmwares(), '.homie-ota.lock'))).toBe(false);
  });

  it('a folder named jobs.json and a link named inventory.json are refused the same way', async () => {
    fs.mkdirSync(path.join(firmwares(), 'jobs.json'), {recursive: true});
    let run = await runCli();
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/jobs\.json is a folder, not a regular file/);
    fs.rmdirSync(path.join(firmwares(), 'jobs.json'));
    fs.writeFileSync(path.join(dir, 'elsewhere.json'), '{}');
    fs.symlinkSync(path.join(dir, 'elsewhere.json'), path.join(firmwares(), 'inventory.json'));
    run = await runCli();
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/inventory\.json is a symbolic link, not a regular file/);
    expect(fs.lstatSync(path.join(firmwares(), 'inventory.json')).isSymbolicLink()).toBe(true);
  });

  it('a FIFO as the log file or the lock file: exit 2 naming it', async () => {
    execFileSync('mkfifo', [path.join(dir, 'homie-ota.log')]);
    let run = await runCli();
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/\[global\] LOG_FILE: .*homie-ota\.log is a FIFO \(named pipe\), not a regular file; .*"none"/);
    fs.rmSync(path.join(dir, 'homie-ota.log'));
    fs.mkdirSync(firmwares(), {recursive: true});
    execFileSync('mkfifo', [path.join(firmwares(), '.homie-ota.lock')]);
    run = await runCli();
    expect(run.code).toBe(2);
    expect(run.ms).toBeLessThan(8000);
    expect(run.err).toMatch(/\.homie-ota\.lock is a FIFO \(named pipe\), not a regular file; .*remove or rename it/);
  });

  it('SIGTERM during the start ends homie-ota at once, cleanly', async () => {
    fs.mkdirSync(firmwares());
    fs.writeFileSync(path.join(firmwares(), 'inventory.json'), bigInventoryFile(60_000));
    let sent = 0;
    const run = await runCli([], 20_000, (out, child) => {
      if (!sent && out.includes('starting')) {
        sent = Date.now();
        child.kill('SIGTERM');
      }
    });
    expect(sent).toBeGreaterThan(0);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(Date.now() - sent).toBeLessThan(8000);
    process.stdout.write(`SIGTERM during the start (a 60,000-device inventory.json loading): exit ${run.code} ${Date.now() - sent} ms later\n`);
    expect(fs.existsSync(path.join(firmwares(), '.homie-ota.lock'))).toBe(false);
  }, 30_000);
});

describe('state files over the caps', () => {
  it('an inventory.json of 150,000 devices: says truthfully that 50,000 were over the cap, and keeps the whole file before the first save', async () => {
    const file = path.join(dir, 'inventory.json');
    const original = bigInventoryFile(150_000);
    fs.writeFileSync(file, original);
    const result = await loadInventory(file, 'homie', Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(result.entries).toHaveLength(100_000);
    expect(result.overCap).toBe(50_000);
    expect(result.messages.map(m => m.text)).toEqual([
      'inventory.json holds 150,000 device entries, more than the 100,000 devices homie-ota keeps: the first 100,000 were loaded, the last 50,000 entries were not',
      'inventory.json: the file as it was is kept as inventory.json.bak-2024-01-02T03-04-05-000Z',
    ]);
    expect(result.messages.map(m => m.text).join(' ')).not.toMatch(/unreadable|duplicate/);
    await saveInventory(file, result.entries, Date.now());
    expect(fs.readFileSync(`${file}.bak-2024-01-02T03-04-05-000Z`, 'utf8')).toBe(original);
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
  }, 60_000);

  it('the built CLI says so in its log, and its first save leaves the backup whole', async () => {
    fs.mkdirSync(firmwares());
    const original = bigInventoryFile(100_010);
    fs.writeFileSync(path.join(firmwares(), 'inventory.json'), original);
    const run = await runCli([], 30_000, (out, child) => {
      if (out.includes('HTTP server listening')) child.kill('SIGTERM');
    });
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/WARN {2}inventory: inventory\.json holds 100,010 device entries, more than the 100,000 devices homie-ota keeps: the first 100,000 were loaded, the last 10 entries were not/);
    const backup = fs.readdirSync(firmwares()).find(f => f.startsWith('inventory.json.bak-'));
    expect(backup).toBeDefined();
    await waitFor(() => fs.readFileSync(path.join(firmwares(), backup!), 'utf8') === original, 'backup intact');
  }, 40_000);
});
