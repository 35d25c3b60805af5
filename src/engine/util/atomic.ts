import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';

/** Every file homie-ota writes is readable by its owner and group only (firmware may hold Wi-Fi credentials). */
export const STATE_FILE_MODE = 0o640;

/** A time as it goes into file names: 2026-11-27T09-21-09-117Z */
export function fileStamp(now: number): string {
  return new Date(now).toISOString().replace(/[:.]/g, '-');
}

/**
 * Keep `file` as it is now under `<file>.bak-<time>` before homie-ota rewrites it with less in it: a
 * hard link (instant, no extra space; the atomic rewrite replaces only the name), or a copy where the
 * file system has no links. Returns the backup's path.
 */
export async function keepBackup(file: string, now: number): Promise<string> {
  const backup = `${file}.bak-${fileStamp(now)}`;
  try {
    await fsp.link(file, backup);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return backup;
    await fsp.copyFile(file, backup, fs.constants.COPYFILE_EXCL);
  }
  return backup;
}

/** The same, synchronously (loading happens before anything runs). */
export function keepBackupSync(file: string, now: number): string {
  const backup = `${file}.bak-${fileStamp(now)}`;
  try {
    fs.linkSync(file, backup);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return backup;
    fs.copyFileSync(file, backup, fs.constants.COPYFILE_EXCL);
  }
  return backup;
}

/** A temporary name beside `file`, so the final rename stays on one file system. */
export function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Write a file so that a crash at any moment leaves either the old or the new content, never a mix:
 * temporary file, fsync, rename over the target, fsync of the folder.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array | AsyncIterable<string>, mode = STATE_FILE_MODE): Promise<void> {
  const temp = tempNameFor(file);
  let handle: fsp.FileHandle | undefined;
  try {
    // wx: never through something already at the temporary name (a planted link)
    handle = await fsp.open(temp, 'wx', mode);
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
    // chunks as they are made: a large file is never held whole in memory
    else for await (const chunk of data) await handle.write(chunk);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(temp, file);
  } catch (error) {
    await handle?.close().catch(() => {});
    await fsp.rm(temp, {force: true}).catch(() => {});
    throw error;
  }
  await syncDir(path.dirname(file));
}

/** The same, synchronously: for the last save on the way out. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, mode = STATE_FILE_MODE): void {
  const temp = tempNameFor(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', mode);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, file);
  } catch (error) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(temp, {force: true});
    throw error;
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fsp.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // some file systems cannot fsync a folder; the rename is still atomic
  }
}
