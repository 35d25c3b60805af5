import fs from 'node:fs/promises';
import path from 'node:path';
import {writeFileAtomic} from '../util/atomic.js';
import {kindOf, openRegular} from '../util/safe-file.js';

/**
 * File moves of the firmware store. None of them ever replaces an existing file: a stored firmware is
 * only removed by an explicit delete, and a file that cannot be filed goes to rejected/ beside a
 * note saying why.
 */
export const REJECTED_DIR = 'rejected';

export class TargetExistsError extends Error {
  constructor(readonly target: string) {
    super(`${path.basename(target)} already exists`);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Move `source` to `target` unless `target` exists. A hard link is created first because link(2)
 * fails when the name is taken, so even another program cannot be overwritten; file systems without
 * hard links (FAT on SD cards, some network shares) fall back to check-then-rename.
 */
export async function moveNoReplace(source: string, target: string): Promise<void> {
  try {
    await fs.link(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new TargetExistsError(target);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV' && code !== 'ENOSYS' && code !== 'EMLINK') throw error;
    if (await exists(target)) throw new TargetExistsError(target);
    await fs.rename(source, target);
    return;
  }
  await fs.unlink(source);
}

/** A name in `dir` not yet taken: x.bin, then x.2.bin, x.3.bin, … */
async function freeName(dir: string, file: string): Promise<string> {
  const ext = /\.(bin\.gz|[^.]+)$/i.exec(file)?.[0] ?? '';
  const stem = ext ? file.slice(0, -ext.length) : file;
  for (let n = 1; n < 10_000; n++) {
    const candidate = n === 1 ? file : `${stem}.${n}${ext}`;
    if (!(await exists(path.join(dir, candidate))) && !(await exists(path.join(dir, `${candidate}.reason.txt`)))) return candidate;
  }
  throw new Error(`too many rejected files named like ${file} in ${dir}`);
}

/**
 * Move `source` into `<root>/rejected/` and write `<file>.reason.txt` beside it. Returns the name used
 * inside rejected/ (a number is added when a file of that name was rejected before).
 */
export async function reject(root: string, source: string, reason: string, details: readonly string[] = []): Promise<string> {
  const dir = path.join(root, REJECTED_DIR);
  await fs.mkdir(dir, {recursive: true}).catch(() => {});
  // a file or a link in its place: say so, rather than EEXIST, and never move a file out of the folder
  const stat = await fs.lstat(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is ${kindOf(stat)}, not a folder: homie-ota moves the files it cannot use there; rename or remove it`);
  const name = await freeName(dir, path.basename(source));
  await moveNoReplace(source, path.join(dir, name));
  const text = [
    `${path.basename(source)} was not added to the firmware store:`,
    reason,
    '',
    ...details,
    `Rejected at ${new Date().toISOString()}. Fix the cause and drop the file into the firmware folder again.`,
    '',
  ].join('\n');
  // atomic: a reason file that exists is complete
  await writeFileAtomic(path.join(dir, `${name}.reason.txt`), text);
  return name;
}

/**
 * Read a whole file, refusing more than `max` bytes (the content is needed to identify and hash it).
 * Only a regular file is read: a FIFO, a link or a device in the folder throws NotRegularFileError.
 */
export async function readCapped(file: string, max: number): Promise<Buffer | null> {
  const handle = await openRegular(file);
  try {
    const {size} = await handle.stat();
    if (size > max) return null;
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
