import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {badFirmware, conflicting} from '../../helpers/bad-firmware.js';
import {startHomieOta, type HomieOtaProcess} from '../../helpers/homie-ota-process.js';
import {placeFirmware, report, stopParts} from '../../helpers/reliability.js';
import {tempDir} from '../../helpers/tmp.js';
import {waitFor} from '../../helpers/wait-for.js';

/**
 * More than a hundred malformed firmware files — empty, text, random, truncated at every interesting
 * place, lying headers, damaged ESP32 hashes, gzip garbage and bombs, markers that would make unsafe
 * file names, two firmwares in one binary, images nobody can name, too large, and valid images that
 * clash with a stored one — through POST /upload and through the watched folder. Each is refused with
 * its reason (upload: in the answer, nothing kept; folder: moved to rejected/ beside a .reason.txt,
 * the bytes kept as they were), and the store is exactly what it was.
 */
const LIMIT = 1024 * 1024;

let proc: HomieOtaProcess | null = null;
let cleanup: (() => void) | null = null;
afterEach(async () => {
  await stopParts({proc, cleanup});
  proc = cleanup = null;
});

async function storeState(p: HomieOtaProcess): Promise<string> {
  const {body} = await p.api('/api/firmware');
  return JSON.stringify((body.firmware as Array<{file: string; name: string; version: string; md5: string; size: number}>).map(f => [f.file, f.name, f.version, f.md5, f.size]));
}

describe('malformed firmware files', () => {
  it('refuses each through upload and through the drop folder, with its reason, and the store stays as it was', async () => {
    const tmp = tempDir('homie-ota-badfw-');
    cleanup = tmp.cleanup;
    const root = path.join(tmp.dir, 'firmwares');
    placeFirmware(root, 'relay-1.0.0.bin', {name: 'relay', version: '1.0.0', size: 50_000});
    placeFirmware(root, 'good32-2.0.0.bin', {chip: 'esp32', name: 'good32', version: '2.0.0', size: 50_000});
    fs.writeFileSync(path.join(root, 'relay-1.0.0.txt'), 'the stored one\n');
    proc = await startHomieOta({cwd: tmp.dir, ini: '[global]\nOTA_UPLOAD_LIMIT = 1M\n', args: ['--broker-port', '0', '--firmware-dir', root, '--log-file', 'homie-ota.log'],
      watch: [/unexpected error|unhandled rejection/i]});
    await waitFor(async () => (await proc!.api('/api/firmware')).body.firmware.length === 2, 'the store', 10_000);
    const before = await storeState(proc);
    const rootBefore = fs.readdirSync(root).sort();
    const files = [...badFirmware(LIMIT), ...conflicting('relay', '1.0.0', 5)];
    expect(files.length).toBeGreaterThanOrEqual(100);

    // 1. through POST /upload
    const statuses = new Map<number, number>();
    const uploadProblems: string[] = [];
    for (const bad of files) {
      const form = new FormData();
      form.append('description', `should never be stored: ${bad.what}`);
      form.append('upload', new Blob([bad.data]), bad.file);
      const res = await fetch(`${proc.base}/upload`, {method: 'POST', body: form, headers: {accept: 'application/json'}});
      const body = (await res.json()) as {ok: boolean; message: string; outcome: string};
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (![409, 413, 422].includes(res.status) || body.ok || !/not stored|No valid firmware/.test(body.message) || body.message.length < 40) {
        uploadProblems.push(`${bad.file} (${bad.what}): ${res.status} ${body.message}`);
      }
    }
    expect(uploadProblems).toEqual([]);
    expect(await storeState(proc)).toBe(before);
    expect(fs.readdirSync(root).sort(), 'nothing left behind by uploads').toEqual(rootBefore);

    // 2. through the watched folder (copied in as a user would, mtime now)
    for (const bad of files) fs.writeFileSync(path.join(root, bad.file), bad.data);
    const rejected = path.join(root, 'rejected');
    await waitFor(() => files.every(bad => !fs.existsSync(path.join(root, bad.file))), 'every dropped file dealt with', 120_000, 500).catch(error => {
      throw new Error(`${(error as Error).message}: still there: ${files.filter(bad => fs.existsSync(path.join(root, bad.file))).map(b => b.file).slice(0, 10).join(', ')}`);
    });
    const reasons = new Map<string, number>();
    const folderProblems: string[] = [];
    for (const bad of files) {
      const kept = path.join(rejected, bad.file);
      const note = `${kept}.reason.txt`;
      if (!fs.existsSync(kept) || !fs.readFileSync(kept).equals(bad.data)) folderProblems.push(`${bad.file}: not kept as it was in rejected/`);
      if (!fs.existsSync(note)) {
        folderProblems.push(`${bad.file}: no .reason.txt`);
        continue;
      }
      const reason = fs.readFileSync(note, 'utf8').split('\n')[1] ?? '';
      if (reason.length < 15) folderProblems.push(`${bad.file}: reason "${reason}"`);
      const kind = reason.split(/[:(;]/)[0]!.replace(/\d+(\.\d+)?/g, 'N').replace(/"[^"]*"/g, '"…"').trim();
      reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
    }
    expect(folderProblems).toEqual([]);
    expect(await storeState(proc)).toBe(before);
    expect(fs.readdirSync(root).filter(f => !rootBefore.includes(f)).sort()).toEqual(['rejected']);
    expect(fs.readFileSync(path.join(root, 'relay-1.0.0.txt'), 'utf8')).toBe('the stored one\n');
    expect(proc.running()).toBe(true);
    expect(proc.matches()).toEqual([]);
    report('malformed firmware', [
      `${files.length} files (${files.length - 5} malformed, 5 clashing with a stored version)`,
      `upload: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}; nothing stored, no temporary file left`,
      `drop folder: all ${files.length} moved to rejected/ with a .reason.txt, bytes unchanged; reasons:`,
      ...[...reasons].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `  ${n}× ${kind}`),
      `homie-ota RSS ${proc.rssMb()} MB`,
    ]);
    expect(await proc.stop()).toEqual({code: 0, signal: null});
  });
});
