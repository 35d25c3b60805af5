import http from 'node:http';
import zlib from 'node:zlib';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {httpUpdateCheck, type HttpUpdateParams} from '../../src/sim/index.js';
import {md5} from './sim-helpers.js';

/**
 * The ESP8266httpUpdate and ESP32 HTTPUpdate clients (protocols.md §2.5–2.6), seen from a tiny
 * node:http server: the request line and headers exactly as sent, and the client's verdict on
 * every kind of answer.
 */
interface Captured {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  /** header name/value pairs in order and case as received */
  readonly headers: Array<[string, string]>;
}

let server: http.Server;
let port: number;
let captured: Captured[] = [];
let respond: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.writeHead(304).end();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    captured.push({method: req.method!, url: req.url!, httpVersion: req.httpVersion, headers: pairs});
    respond(req, res);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as import('node:net').AddressInfo).port;
});
afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));

const esp8266: HttpUpdateParams = {
  chip: 'esp8266', core: '3.1.2', staMac: '18:FE:34:D4:06:55', apMac: '1A:FE:34:D4:06:55', freeSpace: 679_936,
  sketchSize: 367_776, sketchMd5: 'a65122d263550eb96f7e2fc1a111ab37', chipSize: 4_194_304, chipId: 13_895_253, currentVersion: 'c631f278=awesome-light=1.0.0=1.1.0',
};
const esp32: HttpUpdateParams = {
  chip: 'esp32', staMac: '24:0A:C4:00:11:22', apMac: '24:0A:C4:00:11:23', freeSpace: 1_310_720, sketchSize: 719_968,
  sketchMd5: 'a65122d263550eb96f7e2fc1a111ab37', sketchSha256: 'ab'.repeat(32), chipSize: 4_194_304, currentVersion: '1.0.0',
};
const url = () => `http://127.0.0.1:${port}/ota`;
const image = buildFirmwareImage({name: 'awesome-light', version: '1.1.0', size: 30_000});

function serve(body: Buffer, headers: Record<string, string> = {}): void {
  respond = (_req, res) => {
    res.writeHead(200, {'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length), ...headers});
    res.end(body);
  };
}

async function check(params: HttpUpdateParams) {
  captured = [];
  const result = await httpUpdateCheck(url(), params);
  return {result, request: captured[0]!};
}

describe('the request, as the device sends it', () => {
  it('ESP8266 core 3.1.2: HTTP/1.0, Host with port, then the x-ESP8266 headers in order', async () => {
    const {request} = await check(esp8266);
    expect(request.method).toBe('GET');
    expect(request.url).toBe('/ota');
    expect(request.httpVersion).toBe('1.0');
    expect(request.headers).toEqual([
      ['Host', `127.0.0.1:${port}`],
      ['User-Agent', 'ESP8266-http-Update'],
      ['Connection', 'close'],
      ['x-ESP8266-Chip-ID', '13895253'],
      ['x-ESP8266-STA-MAC', '18:FE:34:D4:06:55'],
      ['x-ESP8266-AP-MAC', '1A:FE:34:D4:06:55'],
      ['x-ESP8266-free-space', '679936'],
      ['x-ESP8266-sketch-size', '367776'],
      ['x-ESP8266-sketch-md5', 'a65122d263550eb96f7e2fc1a111ab37'],
      ['x-ESP8266-chip-size', '4194304'],
      ['x-ESP8266-sdk-version', '2.2.2-dev(38a443e)'],
      ['x-ESP8266-mode', 'sketch'],
      ['x-ESP8266-version', 'c631f278=awesome-light=1.0.0=1.1.0'],
    ]);
  });

  it('ESP8266 core 2.3.0 (the Homie 1.5 era): no Chip-ID and no sketch-md5 yet', async () => {
    const {request} = await check({...esp8266, core: '2.3.0'});
    expect(request.httpVersion).toBe('1.0');
    expect(request.headers.map(([name]) => name)).toEqual([
      'Host', 'User-Agent', 'Connection', 'x-ESP8266-STA-MAC', 'x-ESP8266-AP-MAC', 'x-ESP8266-free-space',
      'x-ESP8266-sketch-size', 'x-ESP8266-chip-size', 'x-ESP8266-sdk-version', 'x-ESP8266-mode', 'x-ESP8266-version',
    ]);
    expect(request.headers.find(([n]) => n === 'x-ESP8266-sdk-version')?.[1]).toBe('1.5.3(aec24ac9)');
  });

  it('ESP8266 core 2.0.0: HTTP/1.1, Host without the port, no mode header', async () => {
    const {request} = await check({...esp8266, core: '2.0.0'});
    expect(request.httpVersion).toBe('1.1');
    expect(request.headers[0]).toEqual(['Host', '127.0.0.1']);
    expect(request.headers.some(([n]) => n === 'x-ESP8266-mode')).toBe(false);
  });

  it('the version header is left out when empty', async () => {
    const {request} = await check({...esp8266, currentVersion: ''});
    expect(request.headers.some(([n]) => n.toLowerCase() === 'x-esp8266-version')).toBe(false);
  });

  it('ESP32: its own user agent, Cache-Control, an uppercase sketch-sha256, no Chip-ID', async () => {
    const {request} = await check(esp32);
    expect(request.httpVersion).toBe('1.0');
    expect(request.headers.map(([name]) => name)).toEqual([
      'Host', 'User-Agent', 'Connection', 'Cache-Control', 'x-ESP32-STA-MAC', 'x-ESP32-AP-MAC', 'x-ESP32-free-space', 'x-ESP32-sketch-size',
      'x-ESP32-sketch-md5', 'x-ESP32-sketch-sha256', 'x-ESP32-chip-size', 'x-ESP32-sdk-version', 'x-ESP32-mode', 'x-ESP32-version',
    ]);
    expect(request.headers.find(([n]) => n === 'User-Agent')?.[1]).toBe('ESP32-http-Update');
    expect(request.headers.find(([n]) => n === 'x-ESP32-sketch-sha256')?.[1]).toBe('AB'.repeat(32));
  });
});

describe('the verdict on the answer', () => {
  it('200 with Content-Length and a matching x-MD5: the image is flashed', async () => {
    serve(image, {'x-MD5': md5(image)});
    const {result} = await check(esp8266);
    expect(result.result).toBe('ok');
    if (result.result === 'ok') expect(result.md5).toBe(md5(image));
  });

  it('304: no update', async () => {
    respond = (_req, res) => res.writeHead(304).end();
    expect((await check(esp8266)).result).toMatchObject({result: 'no-update', status: 304});
  });

  it('no Content-Length (chunked): HTTP_UE_SERVER_NOT_REPORT_SIZE', async () => {
    respond = (_req, res) => {
      res.writeHead(200, {'Content-Type': 'application/octet-stream'});
      res.write(image.subarray(0, 1000));
      res.end(image.subarray(1000));
    };
    // an HTTP/1.0 request gets no chunked encoding from node, but no length either
    expect((await check(esp8266)).result).toMatchObject({result: 'failed', error: 'HTTP_UE_SERVER_NOT_REPORT_SIZE'});
  });

  it('bigger than the free sketch space: HTTP_UE_TOO_LESS_SPACE before downloading', async () => {
    serve(image);
    expect((await check({...esp8266, freeSpace: 1000})).result).toMatchObject({result: 'failed', error: 'HTTP_UE_TOO_LESS_SPACE'});
  });

  it('first byte not 0xE9: HTTP_UE_BIN_VERIFY_HEADER_FAILED; gzip only on ESP8266 cores ≥ 2.7.0', async () => {
    serve(Buffer.alloc(2000, 0x41));
    expect((await check(esp8266)).result).toMatchObject({error: 'HTTP_UE_BIN_VERIFY_HEADER_FAILED'});
    const gz = zlib.gzipSync(image);
    serve(gz, {'x-MD5': md5(gz)});
    expect((await check(esp8266)).result.result).toBe('ok');
    expect((await check({...esp8266, core: '2.6.3'})).result).toMatchObject({error: 'HTTP_UE_BIN_VERIFY_HEADER_FAILED'});
    expect((await check(esp32)).result).toMatchObject({error: 'HTTP_UE_BIN_VERIFY_HEADER_FAILED'});
  });

  it('an image for a bigger flash than the chip: HTTP_UE_BIN_FOR_WRONG_FLASH', async () => {
    serve(buildFirmwareImage({name: 'x', version: '1', size: 10_000, flashSizeCode: 9}));
    expect((await check(esp8266)).result).toMatchObject({error: 'HTTP_UE_BIN_FOR_WRONG_FLASH'});
  });

  it('x-MD5 must be 32 characters; a wrong one fails the update; uppercase fails only on cores ≤ 2.4.2', async () => {
    serve(image, {'x-MD5': md5(image).slice(1)});
    expect((await check(esp8266)).result).toMatchObject({error: 'HTTP_UE_SERVER_FAULTY_MD5'});
    serve(image, {'x-MD5': md5(Buffer.from('other'))});
    expect((await check(esp8266)).result).toMatchObject({error: 'UPDATE_ERROR_MD5'});
    serve(image, {'x-MD5': md5(image).toUpperCase()});
    expect((await check(esp8266)).result.result).toBe('ok');
    expect((await check({...esp8266, core: '2.4.2'})).result).toMatchObject({error: 'UPDATE_ERROR_MD5'});
    expect((await check(esp32)).result.result).toBe('ok');
  });

  it('redirects are not followed; 403, 404 and 401 are failures by name', async () => {
    respond = (_req, res) => res.writeHead(302, {Location: '/elsewhere'}).end();
    expect((await check(esp8266)).result).toMatchObject({status: 302, error: 'HTTP_UE_SERVER_WRONG_HTTP_CODE'});
    expect(captured).toHaveLength(1);
    respond = (_req, res) => res.writeHead(403).end();
    expect((await check(esp8266)).result).toMatchObject({error: 'HTTP_UE_SERVER_FORBIDDEN'});
    respond = (_req, res) => res.writeHead(404).end();
    expect((await check(esp32)).result).toMatchObject({error: 'HTTP_UE_SERVER_FILE_NOT_FOUND'});
    respond = (_req, res) => res.writeHead(401).end();
    expect((await check(esp8266)).result).toMatchObject({error: 'HTTP_UE_SERVER_UNAUTHORIZED'});
    expect((await check({...esp8266, core: '2.7.4'})).result).toMatchObject({error: 'HTTP_UE_SERVER_WRONG_HTTP_CODE'});
  });

  it('a body shorter than Content-Length: UPDATE_ERROR_STREAM', async () => {
    respond = (_req, res) => {
      res.writeHead(200, {'Content-Length': String(image.length)});
      res.write(image.subarray(0, 5000), () => res.socket?.destroy());
    };
    expect((await check(esp8266)).result).toMatchObject({error: 'UPDATE_ERROR_STREAM'});
  });

  it('nothing listening: a transport error', async () => {
    const result = await httpUpdateCheck('http://127.0.0.1:1/ota', esp8266);
    expect(result).toMatchObject({result: 'failed', error: 'HTTPC_ERROR_CONNECTION_REFUSED'});
  });

  it('a download is no faster than the given rate', async () => {
    serve(image);
    const started = Date.now();
    const {result} = await check({...esp8266, bytesPerSecond: 100_000});
    expect(result.result).toBe('ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual((image.length / 100_000) * 1000 * 0.8);
  });
});
