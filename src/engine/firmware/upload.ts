import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import {pipeline} from 'node:stream/promises';
import busboy from 'busboy';
import {STATE_FILE_MODE} from '../util/atomic.js';

/**
 * Receives `POST /upload` (multipart/form-data, fields `upload` and `description`, as the original
 * and its README's curl command send them). The file is streamed to a hidden temporary file inside
 * the firmware folder (so the final rename stays on one file system and the watcher ignores it);
 * nothing is kept in memory, and the stream is cut as soon as it passes the size limit.
 */
export type Received =
  | {readonly kind: 'file'; readonly temp: string; readonly filename: string; readonly description: string}
  | {readonly kind: 'missing'}
  | {readonly kind: 'too-large'; readonly filename: string}
  | {readonly kind: 'bad'; readonly message: string}
  /** the disk refused the file (full, read-only, file size limit): not the client's fault */
  | {readonly kind: 'write-failed'; readonly status: number; readonly message: string}
  | {readonly kind: 'aborted'};

/**
 * A write to the firmware folder failed: the HTTP status and a message that names the problem and
 * what to do (the disk is full, read-only, a size limit, permissions), never "internal error".
 */
export function describeWriteError(error: unknown, dir: string): {status: number; message: string} {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return {status: 507, message: `no space left on the disk that holds ${dir} (${code}); free some space, then try again`};
    case 'EFBIG':
      return {status: 507, message: `the file is too large for this system (EFBIG: a file size limit such as ulimit -f, or the file system's); raise the limit, then try again`};
    case 'EROFS':
      return {status: 503, message: `${dir} is on a read-only file system (EROFS); make it writable (e.g. remount it read-write), then try again`};
    case 'EACCES':
    case 'EPERM':
      return {status: 500, message: `no permission to write in ${dir} (${code}); check the folder's owner and permissions`};
    default:
      return {status: 500, message: `writing in ${dir} failed (${code || (error as Error).message}); look at the disk and the homie-ota log`};
  }
}

export interface UploadLimits {
  readonly dir: string;
  /** largest file accepted, in bytes */
  readonly fileSize: number;
}

function tempPath(dir: string): string {
  return path.join(dir, `.upload-${process.pid}-${crypto.randomBytes(6).toString('hex')}.tmp`);
}

/** Only the last path part of the name the client sent, for messages and for name-version.bin files. */
function cleanName(name: string | undefined): string {
  const base = (name ?? '').split(/[/\\]/).pop() ?? '';
  return base.slice(0, 200) || 'upload.bin';
}

export function receiveUpload(req: http.IncomingMessage, limits: UploadLimits): Promise<Received> {
  return new Promise(resolve => {
    let settled = false;
    let temp: string | null = null;
    let out: fs.WriteStream | null = null;
    const finish = (result: Received) => {
      if (settled) return;
      settled = true;
      if (result.kind === 'file' || !out) return resolve(result);
      // remove the partial file only after the stream has closed, or its late open would re-create it
      const partial = out;
      partial.destroy();
      const removeAndResolve = () => fs.rm(temp!, {force: true}, () => resolve(result));
      if (partial.closed) removeAndResolve();
      else partial.once('close', removeAndResolve);
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({headers: req.headers, defParamCharset: 'utf8', limits: {fileSize: limits.fileSize, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 40}});
    } catch (error) {
      finish({kind: 'bad', message: `not a multipart/form-data upload (${(error as Error).message})`});
      req.resume();
      return;
    }
    let description = '';
    let file: {filename: string; done: Promise<void>} | null = null;
    parser.on('field', (name, value) => {
      if (name === 'description') description = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'upload' || file) {
        stream.resume();
        return;
      }
      const filename = cleanName(info.filename);
      temp = tempPath(limits.dir);
      out = fs.createWriteStream(temp, {flags: 'wx', mode: STATE_FILE_MODE});
      stream.on('limit', () => {
        // over the limit: stop reading the request at once and store nothing
        req.unpipe(parser);
        finish({kind: 'too-large', filename});
      });
      file = {filename, done: pipeline(stream, out)};
      file.done.catch(error => {
        // the disk refused it (full, read-only): the parser would stall on the dead file stream until the
        // request timeout, so read the rest of the body away and answer once the client has sent it all
        const result: Received = {kind: 'write-failed', ...describeWriteError(error, limits.dir)};
        req.unpipe(parser);
        req.resume();
        if (req.complete) finish(result);
        else {
          req.once('end', () => finish(result));
          req.once('close', () => finish(result));
        }
      });
    });
    parser.on('close', () => {
      if (!file) return finish({kind: 'missing'});
      const {filename, done} = file;
      done.then(
        () => finish({kind: 'file', temp: temp!, filename, description}),
        error => finish({kind: 'bad', message: `the upload could not be written (${(error as Error).message})`}),
      );
    });
    parser.on('error', error => finish({kind: 'bad', message: `malformed multipart upload (${(error as Error).message})`}));
    req.on('close', () => {
      if (!req.complete) finish({kind: 'aborted'});
    });
    req.pipe(parser);
  });
}

/**
 * After an early answer (413, 400) to a request whose body is still arriving: read and discard the rest
 * (for at most 10 s and 64 MiB) so the client sees the answer instead of a broken pipe, then close.
 * The answer does not say `Connection: close`: Node closes such a socket as soon as the answer is sent,
 * and a client still sending (curl with a few MiB on a loaded machine) then fails with "Broken pipe"
 * before it reads the 413.
 */
export function closeAfterAnswer(req: http.IncomingMessage, res: http.ServerResponse, limits = {ms: 10_000, bytes: 64 * 1024 * 1024}): void {
  res.on('finish', () => {
    if (req.complete) return;
    let drained = 0;
    const stop = (): void => {
      clearTimeout(timer);
      req.socket.destroy();
    };
    const timer = setTimeout(stop, limits.ms);
    timer.unref();
    req.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > limits.bytes) stop();
    });
    req.on('end', () => clearTimeout(timer));
    req.resume();
  });
}
