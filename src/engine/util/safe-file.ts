import fs from 'node:fs';
import fsp from 'node:fs/promises';
import {StartupError} from './startup-error.js';

/**
 * Opening files by path without being stopped by what sits there. open(2) of a FIFO blocks until a
 * writer appears (for ever, and a blocked synchronous open keeps even SIGTERM from being handled);
 * opening a device may have side effects; a symbolic link in the firmware folder may point anywhere.
 * So: lstat first and touch nothing that is not a regular file, open with O_NONBLOCK (a FIFO opens at
 * once instead of waiting) and, where a link is not wanted, O_NOFOLLOW, then fstat the descriptor,
 * because the name may have been swapped between the lstat and the open.
 */
const {O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_NONBLOCK, O_NOFOLLOW} = fs.constants;

export interface OpenOptions {
  /** follow a symbolic link (a path the user chose, e.g. a certificate); default false */
  readonly followLinks?: boolean;
}

/** The path exists but is not a regular file (a FIFO, a folder, a socket, a device, a link). */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';

  constructor(readonly file: string, readonly kind: string) {
    super(`${file} is ${kind}, not a regular file`);
  }
}

/** What a non-regular file is, in words. */
export function kindOf(stat: fs.Stats): string {
  if (stat.isFile()) return 'a regular file';
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a file';
}

function flagsFor(base: number, options: OpenOptions): number {
  return base | O_NONBLOCK | (options.followLinks ? 0 : O_NOFOLLOW);
}

/** Turn an open/lstat failure that means "not a regular file" into a NotRegularFileError. */
function explain(error: unknown, file: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return new NotRegularFileError(file, 'a symbolic link');
  // O_NONBLOCK write-open of a FIFO nobody reads, or of a socket
  if (code === 'ENXIO' || code === 'EISDIR') return new NotRegularFileError(file, code === 'EISDIR' ? 'a folder' : 'a FIFO or socket');
  return error;
}

function checkStat(stat: fs.Stats, file: string): void {
  if (!stat.isFile()) throw new NotRegularFileError(file, kindOf(stat));
}

/** lstat (or stat, following links); undefined when the path does not exist. */
function lookSync(file: string, options: OpenOptions): fs.Stats | undefined {
  return (options.followLinks ? fs.statSync : fs.lstatSync)(file, {throwIfNoEntry: false});
}

async function look(file: string, options: OpenOptions): Promise<fs.Stats | undefined> {
  try {
    return await (options.followLinks ? fsp.stat(file) : fsp.lstat(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** lstat, open with O_NONBLOCK (and O_NOFOLLOW), fstat: a descriptor of a regular file, or a throw. */
function openCheckedSync(file: string, flags: number, mode: number | undefined, options: OpenOptions): number {
  const stat = lookSync(file, options);
  if (stat) checkStat(stat, file);
  let fd: number;
  try {
    fd = fs.openSync(file, flagsFor(flags, options), mode);
  } catch (error) {
    throw explain(error, file);
  }
  try {
    checkStat(fs.fstatSync(fd), file);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  return fd;
}

/** Open for reading (never blocks), checked to be a regular file. Throws ENOENT when missing. */
export function openRegularSync(file: string, options: OpenOptions = {}): number {
  return openCheckedSync(file, O_RDONLY, undefined, options);
}

/** Read a whole regular file; throws ENOENT when missing and NotRegularFileError for anything else there. */
export function readRegularFileSync(file: string, options: OpenOptions = {}): Buffer {
  const fd = openRegularSync(file, options);
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Open for appending (created with `mode` when missing), checked to be a regular file. */
export function openAppendSync(file: string, mode: number, options: OpenOptions = {}): number {
  return openCheckedSync(file, O_WRONLY | O_APPEND | O_CREAT, mode, options);
}

/** The async form of openRegularSync. */
export async function openRegular(file: string, options: OpenOptions = {}): Promise<fsp.FileHandle> {
  const stat = await look(file, options);
  if (stat) checkStat(stat, file);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, flagsFor(O_RDONLY, options));
  } catch (error) {
    throw explain(error, file);
  }
  try {
    checkStat(await handle.stat(), file);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/** Read a whole regular file (async); throws ENOENT when missing and NotRegularFileError for anything else. */
export async function readRegularFile(file: string, options: OpenOptions = {}): Promise<Buffer> {
  const handle = await openRegular(file, options);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * A state file in the firmware folder (jobs.json, inventory.json, …) that is not a regular file: the
 * start stops (exit 2), naming it and what to do. `holds` says what homie-ota keeps in it.
 */
export function refuseStateFile(error: NotRegularFileError, holds: string): StartupError {
  return new StartupError(`${error.file} is ${error.kind}, not a regular file; homie-ota keeps ${holds} in that file and will neither read nor replace anything else: remove or rename it, then start homie-ota again`);
}
