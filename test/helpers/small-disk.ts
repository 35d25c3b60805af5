import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A small file system for disk-full and read-only tests: a tmpfs of a given size, mounted on a
 * folder, which can be filled up and remounted read-only. Needs root (or CAP_SYS_ADMIN); `canMount()`
 * says whether this machine allows it, so the tests can fall back and say what they could not test.
 */
export interface SmallDisk {
  readonly dir: string;
  /** write a filler file until the disk is full; returns the bytes written */
  fill(): number;
  /** remove the filler */
  free(): void;
  readonly(on: boolean): void;
  unmount(): void;
}

let probed: boolean | null = null;

export function canMount(): boolean {
  if (probed !== null) return probed;
  const dir = fs.mkdtempSync('/tmp/homie-ota-mount-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], {stdio: 'ignore'});
    execFileSync('mount', ['-o', 'remount,ro', dir], {stdio: 'ignore'});
    execFileSync('umount', [dir], {stdio: 'ignore'});
    probed = true;
  } catch {
    probed = false;
  }
  fs.rmSync(dir, {recursive: true, force: true});
  return probed;
}

export function mountSmallDisk(dir: string, bytes: number): SmallDisk {
  fs.mkdirSync(dir, {recursive: true});
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir]);
  const filler = path.join(dir, '.filler');
  let mounted = true;
  return {
    dir,
    fill: () => {
      const fd = fs.openSync(filler, 'a');
      let written = 0;
      const block = Buffer.alloc(64 * 1024, 0x5a);
      try {
        for (;;) written += fs.writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
      // and the last few bytes that a whole block did not fit into
      try {
        for (;;) written += fs.writeSync(fd, block.subarray(0, 512));
      } catch {
        // full
      }
      fs.closeSync(fd);
      return written;
    },
    free: () => fs.rmSync(filler, {force: true}),
    readonly: on => execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, dir]),
    unmount: () => {
      if (!mounted) return;
      mounted = false;
      try {
        execFileSync('umount', [dir], {stdio: 'ignore'});
      } catch {
        execFileSync('umount', ['-l', dir], {stdio: 'ignore'});
      }
    },
  };
}
