import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';

/** A temporary name beside `file`, so the final rename stays on one file system. */
export function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Write a file so that a crash at any moment leaves either the old or the new content, never a mix:
 * temporary file, fsync, rename over the target, fsync of the folder.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const temp = tempNameFor(file);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(temp, 'w', mode);
    await handle.writeFile(data);
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
export function writeFileAtomicSync(file: string, data: string | Uint8Array, mode = 0o644): void {
  const temp = tempNameFor(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'w', mode);
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
