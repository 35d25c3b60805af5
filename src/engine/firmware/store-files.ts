import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {writeFileAtomic} from '../util/atomic.js';
import {readRegularFile} from '../util/safe-file.js';
import {descriptionFileName, parseFirmwareFileName} from './file-name.js';
import {readCapped} from './file-ops.js';
import {identifyFirmware} from './identify.js';
import {makeRecord, type FirmwareRecord} from './records.js';

/** A stored file read whole: its bytes, or why they cannot be used (`changed`: not the file identified). */
export type CheckedRead = {ok: true; data: Buffer} | {ok: false; reason: string; changed?: true};

/** Read a stored firmware whole and check it against the MD5 it was identified with. */
export async function readChecked(file: string, record: FirmwareRecord): Promise<CheckedRead> {
  let data: Buffer;
  try {
    data = await readRegularFile(file);
  } catch (error) {
    return {ok: false, reason: `cannot read ${record.file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check that the file is still there and readable`};
  }
  const md5 = crypto.createHash('md5').update(data).digest('hex');
  if (md5 !== record.md5) {
    return {ok: false, changed: true, reason: `${record.file} changed on disk since it was identified (MD5 ${md5} now, ${record.md5} before); it is identified again: try again once it is listed`};
  }
  return {ok: true, data};
}

/**
 * The record filing compares a new file with: the listed one, or for a file on disk but not (yet)
 * listed (still settling, or put there a moment ago) one made by reading it now.
 */
export async function storedOrOnDisk(root: string, file: string, listed: FirmwareRecord | undefined, maxInflated: number, now: () => number): Promise<FirmwareRecord | undefined> {
  if (listed) return listed;
  const data = await readCapped(path.join(root, file), 64 * 1024 * 1024).catch(() => null);
  if (!data) return undefined;
  const ident = identifyFirmware(data, {maxInflated});
  const parsed = parseFirmwareFileName(file);
  const description = await fsp.readFile(path.join(root, descriptionFileName(file)), 'utf8').then(text => text.trim(), () => '');
  return makeRecord(file, parsed?.name ?? file, parsed?.version ?? '', ident, false, description, now());
}

/** Write (or, when empty, remove) the description beside a firmware file: <name>-<version>.txt. */
export async function writeDescription(root: string, file: string, description: string): Promise<void> {
  const txt = path.join(root, descriptionFileName(file));
  if (description) await writeFileAtomic(txt, `${description}\n`);
  else await fsp.unlink(txt).catch(() => {});
}

/**
 * Put the unchanged record objects of `old` into `next` (so a view does not redraw for nothing);
 * true when anything differs.
 */
export function keepUnchanged(old: ReadonlyMap<string, FirmwareRecord>, next: Map<string, FirmwareRecord>): boolean {
  let changed = next.size !== old.size;
  for (const [file, record] of next) {
    const was = old.get(file);
    if (was && was.md5 === record.md5 && was.description === record.description && was.added === record.added && was.name === record.name && was.version === record.version) {
      next.set(file, was);
    } else {
      changed = true;
    }
  }
  return changed;
}
