import net from 'node:net';
import tls from 'node:tls';
import {md5} from './identity.js';
import {esp8266FlashBytes} from './markers.js';

/**
 * The HTTP pull of ESP8266httpUpdate (protocols.md §2.5) and ESP32 HTTPUpdate (§2.6), byte for byte
 * on the request side and check for check on the response side. Written on node:net so header case,
 * order and HTTP/1.0 go on the wire exactly as the device sends them, and redirects are never followed.
 */
export interface HttpUpdateParams {
  readonly chip: 'esp8266' | 'esp32';
  /** ESP8266 Arduino core version: decides HTTP/1.0, the md5/Chip-ID headers, gzip and md5 case (default 3.1.2) */
  readonly core?: string;
  readonly staMac: string;
  readonly apMac: string;
  readonly freeSpace: number;
  readonly sketchSize: number;
  readonly sketchMd5: string;
  /** ESP32: SHA-256 of the running partition; sent in uppercase */
  readonly sketchSha256?: string;
  /** ESP8266: real flash size from the JEDEC id; ESP32: configured size */
  readonly chipSize: number;
  readonly chipId?: number;
  readonly sdkVersion?: string;
  /** x-ESP8266-version / x-ESP32-version; left out when empty */
  readonly currentVersion?: string;
  readonly mode?: 'sketch' | 'spiffs';
  /** the HTTP client's timeout (default 8000 ms, as both cores) */
  readonly timeoutMs?: number;
  /** download no faster than this (bytes per second) */
  readonly bytesPerSecond?: number;
  /** fault: the flash write fails at this percentage */
  readonly flashErrorAt?: number;
}

export type HttpUpdateResult =
  | {readonly result: 'ok'; readonly status: 200; readonly image: Buffer; readonly md5: string; readonly request: string}
  | {readonly result: 'no-update'; readonly status: 304; readonly request: string}
  | {readonly result: 'failed'; readonly status: number; readonly error: string; readonly request: string};

function versionAtLeast(version: string, wanted: string): boolean {
  const a = version.split('.').map(Number);
  const b = wanted.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** The request exactly as the device writes it (header names in the device's spelling). */
export function buildUpdateRequest(url: URL, p: HttpUpdateParams): string {
  const core = p.core ?? '3.1.2';
  const esp8266 = p.chip === 'esp8266';
  const http10 = !esp8266 || versionAtLeast(core, '2.1.0');
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const port = Number(url.port || defaultPort);
  // core 2.0.0 leaves the port out of Host; later ones add it unless it is 80 or 443
  const host = port === 80 || port === 443 || (esp8266 && !versionAtLeast(core, '2.1.0')) ? url.hostname : `${url.hostname}:${port}`;
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.${http10 ? '0' : '1'}`, `Host: ${host}`];
  lines.push(`User-Agent: ${esp8266 ? 'ESP8266' : 'ESP32'}-http-Update`, `Connection: ${esp8266 ? 'close' : 'keep-alive'}`);
  if (!http10 && esp8266 && versionAtLeast(core, '2.2.0')) lines.push('Accept-Encoding: identity;q=1,chunked;q=0.1,*;q=0');
  if (url.username) lines.push(`Authorization: Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`);
  if (esp8266) {
    if (versionAtLeast(core, '2.6.0')) lines.push(`x-ESP8266-Chip-ID: ${p.chipId ?? 0}`);
    lines.push(`x-ESP8266-STA-MAC: ${p.staMac}`, `x-ESP8266-AP-MAC: ${p.apMac}`, `x-ESP8266-free-space: ${p.freeSpace}`, `x-ESP8266-sketch-size: ${p.sketchSize}`);
    if (versionAtLeast(core, '2.4.0')) lines.push(`x-ESP8266-sketch-md5: ${p.sketchMd5}`);
    lines.push(`x-ESP8266-chip-size: ${p.chipSize}`, `x-ESP8266-sdk-version: ${p.sdkVersion ?? (versionAtLeast(core, '3.0.0') ? '2.2.2-dev(38a443e)' : '1.5.3(aec24ac9)')}`);
    if (versionAtLeast(core, '2.1.0')) lines.push(`x-ESP8266-mode: ${p.mode ?? 'sketch'}`);
    if (p.currentVersion) lines.push(`x-ESP8266-version: ${p.currentVersion}`);
  } else {
    lines.push('Cache-Control: no-cache');
    lines.push(`x-ESP32-STA-MAC: ${p.staMac}`, `x-ESP32-AP-MAC: ${p.apMac}`, `x-ESP32-free-space: ${p.freeSpace}`, `x-ESP32-sketch-size: ${p.sketchSize}`);
    lines.push(`x-ESP32-sketch-md5: ${p.sketchMd5}`);
    if (p.sketchSha256) lines.push(`x-ESP32-sketch-sha256: ${p.sketchSha256.toUpperCase()}`);
    lines.push(`x-ESP32-chip-size: ${p.chipSize}`, `x-ESP32-sdk-version: ${p.sdkVersion ?? 'v4.4.5'}`, `x-ESP32-mode: ${p.mode ?? 'sketch'}`);
    if (p.currentVersion) lines.push(`x-ESP32-version: ${p.currentVersion}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

interface Response {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly socket: net.Socket;
  /** body bytes that came with the head */
  readonly initial: Buffer;
}


function readHead(socket: net.Socket, timeoutMs: number): Promise<Response | string> {
  return new Promise(resolve => {
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => done('HTTPC_ERROR_READ_TIMEOUT'), timeoutMs);
    const done = (result: Response | string) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffer.length > 16_384) done('HTTPC_ERROR_TOO_LESS_RAM');
        return;
      }
      socket.pause();
      const [statusLine = '', ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      done(status > 0 ? {status, headers, socket, initial: buffer.subarray(end + 4)} : 'HTTPC_ERROR_NO_HTTP_SERVER');
    };
    const onClose = () => done(buffer.length === 0 ? 'HTTPC_ERROR_CONNECTION_LOST' : 'HTTPC_ERROR_NO_HTTP_SERVER');
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

interface BodyRead {
  readonly data: Buffer;
  /** bytes that came after (kept for the next read) */
  readonly rest: Buffer;
}

/**
 * Read exactly `length` body bytes at no more than `bytesPerSecond`. Resolves null on a stream
 * timeout or an early close, and 'stopped' once `stopAt` bytes are in (a flash write fault).
 */
function readBody(socket: net.Socket, initial: Buffer, length: number, timeoutMs: number, bytesPerSecond: number, stopAt = Infinity): Promise<BodyRead | null | 'stopped'> {
  return new Promise(resolve => {
    const chunks: Buffer[] = [];
    let received = 0;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    let pending = false;
    const finish = (value: BodyRead | null | 'stopped') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      resolve(value);
    };
    const onClose = () => finish(null);
    const onData = (chunk: Buffer) => {
      const take = chunk.subarray(0, length - received);
      chunks.push(take);
      received += take.length;
      clearTimeout(timer);
      timer = setTimeout(() => finish(null), timeoutMs);
      // a device flashes as it reads: nothing is done before the bytes so far are "written"
      const ahead = started + (received / bytesPerSecond) * 1000 - Date.now();
      const outcome: BodyRead | 'stopped' | null = received >= stopAt ? 'stopped'
        : received >= length ? {data: Buffer.concat(chunks, length), rest: chunk.subarray(take.length)} : null;
      if (outcome) {
        pending = true;
        socket.off('data', onData);
        socket.off('close', onClose); // the server may close now: everything is in
        socket.pause();
        if (ahead >= 1) {
          clearTimeout(timer);
          setTimeout(() => finish(outcome), ahead);
        } else {
          finish(outcome);
        }
        return;
      }
      if (ahead >= 1) {
        socket.pause();
        setTimeout(() => {
          if (!settled) socket.resume();
        }, ahead);
      }
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    if (initial.length > 0) onData(initial);
    if (!settled && !pending) {
      timer ??= setTimeout(() => finish(null), timeoutMs);
      socket.resume();
    }
  });
}

/**
 * One update check as the device's update client does it: GET, then 200 (flash), 304 (nothing to
 * do) or a failure with the client's error name (HTTP_UE_…, UPDATE_ERROR_…, HTTPC_ERROR_…).
 */
export async function httpUpdateCheck(url: string, params: HttpUpdateParams): Promise<HttpUpdateResult> {
  const target = new URL(url);
  const request = buildUpdateRequest(target, params);
  const timeoutMs = params.timeoutMs ?? 8000;
  const failed = (status: number, error: string): HttpUpdateResult => ({result: 'failed', status, error, request});
  const secure = target.protocol === 'https:';
  const port = Number(target.port || (secure ? 443 : 80));
  const socket: net.Socket = secure ? tls.connect({host: target.hostname, port, rejectUnauthorized: false}) : net.connect({host: target.hostname, port});
  const connected = await new Promise<string | null>(resolve => {
    const timer = setTimeout(() => resolve('HTTPC_ERROR_CONNECTION_REFUSED'), timeoutMs);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      resolve(null);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve('HTTPC_ERROR_CONNECTION_REFUSED');
    });
  });
  socket.on('error', () => {}); // later errors show up as a short body or a missing head
  if (connected) {
    socket.destroy();
    return failed(-1, connected);
  }
  socket.write(request);
  try {
    const response = await readHead(socket, timeoutMs);
    if (typeof response === 'string') return failed(-1, response);
    return await handleResponse(response, params, timeoutMs, failed, request);
  } finally {
    socket.destroy();
  }
}

async function handleResponse(
  response: Response, p: HttpUpdateParams, timeoutMs: number,
  failed: (status: number, error: string) => HttpUpdateResult, request: string,
): Promise<HttpUpdateResult> {
  const {status, headers} = response;
  const core = p.core ?? '3.1.2';
  const esp8266 = p.chip === 'esp8266';
  if (status === 304) return {result: 'no-update', status: 304, request};
  if (status !== 200) {
    if (status === 403) return failed(status, 'HTTP_UE_SERVER_FORBIDDEN');
    if (status === 404) return failed(status, 'HTTP_UE_SERVER_FILE_NOT_FOUND');
    if (status === 401 && esp8266 && versionAtLeast(core, '3.0.0')) return failed(status, 'HTTP_UE_SERVER_UNAUTHORIZED');
    return failed(status, 'HTTP_UE_SERVER_WRONG_HTTP_CODE'); // 301/302 included: redirects are not followed
  }
  const length = Number(headers.get('content-length') ?? 0);
  if (!(length > 0) || !Number.isInteger(length)) return failed(status, 'HTTP_UE_SERVER_NOT_REPORT_SIZE'); // chunked is not supported
  if (!esp8266 && p.freeSpace <= 0) return failed(status, 'HTTP_UE_NO_PARTITION');
  if (length > p.freeSpace) return failed(status, 'HTTP_UE_TOO_LESS_SPACE');
  const givenMd5 = headers.get('x-md5');
  // the first bytes, peeked before anything is written
  const peeked = await readBody(response.socket, response.initial, Math.min(4, length), timeoutMs, Infinity);
  if (peeked === null || peeked === 'stopped') return failed(status, 'UPDATE_ERROR_STREAM');
  const head = peeked.data;
  const gzipAllowed = esp8266 && versionAtLeast(core, '2.7.0');
  if (!(head[0] === 0xe9 || (gzipAllowed && head[0] === 0x1f))) return failed(status, 'HTTP_UE_BIN_VERIFY_HEADER_FAILED');
  if (esp8266 && head[0] === 0xe9 && versionAtLeast(core, '2.1.0')) {
    const flash = esp8266FlashBytes((head[3] ?? 0) >> 4);
    if (flash !== undefined && flash > p.chipSize) return failed(status, 'HTTP_UE_BIN_FOR_WRONG_FLASH');
  }
  if (givenMd5 !== undefined && givenMd5.length !== 32) return failed(status, 'HTTP_UE_SERVER_FAULTY_MD5');
  const stopAt = p.flashErrorAt === undefined ? Infinity : Math.max(1, Math.floor((length * p.flashErrorAt) / 100) - head.length);
  const body = await readBody(response.socket, peeked.rest, length - head.length, timeoutMs, p.bytesPerSecond ?? Infinity, stopAt);
  if (body === 'stopped') return failed(status, 'UPDATE_ERROR_WRITE');
  if (body === null) return failed(status, 'UPDATE_ERROR_STREAM');
  const image = Buffer.concat([head, body.data]);
  const actual = md5(image);
  if (givenMd5 !== undefined) {
    // ESP8266 cores up to 2.4.2 compare case-sensitively; later ones and ESP32 do not
    const caseSensitive = esp8266 && !versionAtLeast(core, '2.5.0');
    if (caseSensitive ? givenMd5 !== actual : givenMd5.toLowerCase() !== actual) return failed(status, 'UPDATE_ERROR_MD5');
  }
  return {result: 'ok', status: 200, image, md5: actual, request};
}
