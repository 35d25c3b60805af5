import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {startHomieOta, type HomieOtaProcess} from '../../helpers/homie-ota-process.js';
import {rawRequest} from '../../helpers/http.js';
import {placeFirmware, report, SHORT, stopParts} from '../../helpers/reliability.js';
import {tempDir} from '../../helpers/tmp.js';
import {sleep} from '../../helpers/wait-for.js';

/**
 * More than two hundred malformed or hostile HTTP requests against homie-ota (the built CLI, basic
 * auth on): absurd ESP update headers, truncated multipart uploads, huge headers, slow senders, path
 * traversal in every route, wrong credentials, absolute URLs, bad methods, protocol abuse. Each must
 * be answered with a 4xx (the OTA endpoint may also say 304, "no update") or cut off — never a 2xx
 * for what it should refuse, never a 5xx, never a crash — while /healthz keeps answering fast.
 */
const USER = 'admin';
const PASSWORD = 's3cret-pa55';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

interface Probe {
  readonly category: string;
  readonly request: Buffer | string;
  /** statuses that are right for this request (0: no answer, the connection was cut or timed out) */
  readonly allowed: readonly number[];
  /** send the request and then stop writing (half-close) */
  readonly endAfter?: boolean;
}

const REFUSED = [0, 400, 401, 403, 404, 405, 408, 409, 411, 413, 414, 415, 422, 431, 501, 505];

function get(pathname: string, headers: Record<string, string> = {}, method = 'GET', version = 'HTTP/1.1'): string {
  return `${method} ${pathname} ${version}\r\nHost: 127.0.0.1\r\nConnection: close\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

function esp(headers: Record<string, string>): string {
  return get('/ota', {'User-Agent': 'ESP8266-http-Update', ...headers});
}

function multipart(body: Buffer | string, contentLength?: number, type = 'multipart/form-data; boundary=XyZ'): Buffer {
  const data = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  return Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: ${type}\r\nContent-Length: ${contentLength ?? data.length}\r\nConnection: close\r\n\r\n`), data]);
}

function probes(routes: ReadonlyArray<{method: string; path: string}>, image: Buffer): Probe[] {
  const list: Probe[] = [];
  const add = (category: string, request: Buffer | string, allowed: readonly number[] = REFUSED, endAfter = false) => list.push({category, request, allowed, endAfter});
  const OTA = [304, 400, 403];
  // 1. the OTA endpoint with absurd update headers
  const versions = ['', '=', '====', '=====', 'a=b=c=d=e=f=g', 'x'.repeat(10_000), 'relay@', '@1.0', '=relay=1.0.0=2.0.0', 'id==1.0.0=', 'id=relay==',
    'id=relay=1.0.0=../../jobs.json', 'id=relay@1.0.0->', 'ü=€=🔥=x', 'id=relay=1.0.0=' + 'z'.repeat(3000), '\t \t', 'id=relay=1.0.0=2.0.0'];
  // a header that still says "I run relay <2.0.0" gets the newer relay image: that is the endpoint's job
  for (const version of versions) add('OTA endpoint: odd x-ESP8266-version', esp({'x-ESP8266-version': version}), [...OTA, 200]);
  const numbers = ['-1', '0', '1e99', 'NaN', 'abc', '99999999999999999999999', '0x100000', ' 12 ', '4294967296', '-0'];
  for (const n of numbers) {
    add('OTA endpoint: absurd sizes', esp({'x-ESP8266-version': 'id=relay=1.0.0=', 'x-ESP8266-free-space': n, 'x-ESP8266-sketch-size': n, 'x-ESP8266-chip-size': n}), [...OTA, 200]);
  }
  for (const md5 of ['zz', 'A'.repeat(32), '0'.repeat(64), '', ' ', 'g'.repeat(32)]) add('OTA endpoint: bad sketch MD5', esp({'x-ESP8266-sketch-md5': md5, 'x-ESP8266-version': 'id=nothing=1.0.0='}), OTA);
  for (const mac of ['', 'zz:zz', '00:00:00:00:00:00', 'FF'.repeat(100), '18:FE:34:D4:06:55:77']) add('OTA endpoint: bad MAC', esp({'x-ESP8266-STA-MAC': mac}), OTA);
  add('OTA endpoint: both families at once', get('/ota', {'x-ESP8266-version': 'a=b=1=2', 'x-ESP32-version': 'a=b=1=2', 'x-ESP32-sketch-sha256': 'x'}), OTA);
  add('OTA endpoint: 99 update headers', get('/ota', Object.fromEntries(Array.from({length: 99}, (_, i) => [`x-ESP8266-h${i}`, String(i)]))), OTA);
  add('OTA endpoint: mode not sketch', esp({'x-ESP8266-mode': 'spiffs', 'x-ESP8266-version': 'id=relay=1.0.0='}), OTA);
  add('OTA endpoint: mode absurd', esp({'x-ESP8266-mode': 'x'.repeat(5000), 'x-ESP8266-version': 'id=relay=1.0.0='}), OTA);
  add('OTA endpoint: control characters in a header', Buffer.from(`GET /ota HTTP/1.1\r\nHost: x\r\nx-ESP8266-version: a\u0000b=c=d=e\r\n\r\n`, 'latin1'), [400]);
  add('OTA endpoint: POST', get('/ota', {'x-ESP8266-version': 'a=b=1=2'}, 'POST'), [404, 405]);

  // 2. truncated and malformed multipart on /upload
  const part = (body: Buffer) => Buffer.concat([Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="upload"; filename="relay.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'), body]);
  for (const cut of [0, 10, 100, 1000, 4096, 20_000]) add('upload: body cut short, then the connection ends', multipart(part(image.subarray(0, cut)), image.length + 500), REFUSED, true);
  for (const cut of [100, 4096, image.length]) add('upload: no closing boundary', multipart(part(image.subarray(0, cut))), REFUSED);
  add('upload: no boundary at all', multipart(image, undefined, 'multipart/form-data'), REFUSED);
  add('upload: not multipart', multipart(image, undefined, 'application/octet-stream'), REFUSED);
  add('upload: wrong boundary', multipart(Buffer.concat([part(image), Buffer.from('\r\n--XyZ--\r\n')]), undefined, 'multipart/form-data; boundary=AbC'), REFUSED);
  add('upload: garbage', multipart(crypto.randomBytes(5000)), REFUSED);
  add('upload: header block without end', multipart('--XyZ\r\nContent-Disposition: form-data; name="upload"; filename="x.bin"\r\n' + 'X-Junk: y\r\n'.repeat(2000)), REFUSED);
  add('upload: 100 empty parts', multipart('--XyZ\r\n\r\n\r\n'.repeat(100) + '--XyZ--\r\n'), REFUSED);
  add('upload: a file field of another name', multipart(Buffer.concat([Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="other"; filename="x.bin"\r\n\r\n'), image, Buffer.from('\r\n--XyZ--\r\n')])), REFUSED);
  add('upload: Content-Length far over the limit', multipart('x', 1024 * 1024 * 1024), REFUSED, true);
  add('upload: negative Content-Length', multipart('x', -5), REFUSED);
  add('upload: chunked, cut off', Buffer.from(`POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n${'a'.repeat(100)}`), REFUSED, true);
  add('upload: bad chunk sizes', Buffer.from(`POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`), REFUSED);

  // 3. huge headers and URLs
  add('huge: one 20 KB header', get('/healthz', {'X-Big': 'b'.repeat(20_000)}), [431, 400]);
  add('huge: 300 headers', get('/api/devices', {Authorization: AUTH, ...Object.fromEntries(Array.from({length: 300}, (_, i) => [`X-H${i}`, 'v']))}), [200, 400, 431]);
  add('huge: a 64 KB URL', get(`/api/devices?filter=${'a'.repeat(65_536)}`, {Authorization: AUTH}), [400, 414, 431]);
  add('huge: a 64 KB path', get(`/api/devices/${'a'.repeat(65_536)}`, {Authorization: AUTH}), [400, 404, 414, 431]);
  add('huge: 17 KB of cookies', get('/healthz', {Cookie: 'c=' + 'd'.repeat(17_000)}), [431, 400]);
  for (let i = 0; i < 5; i++) add('huge: an 8 KB auth header', get('/api/jobs', {Authorization: `Basic ${'Q'.repeat(8000 + i)}`}), [401, 431]);

  // 4. path traversal in every route (as written, percent-encoded, double-encoded, backslashes, NUL)
  const tricks = ['..', '%2e%2e', '%2E%2E', '.%2e', '..%2F..%2Fjobs.json', '%2e%2e%2finventory.json', '..%5c..%5cjobs.json', '%252e%252e', 'jobs.json%00.bin',
    '..%00', '%2F', '....%2F%2F', '.', 'inventory.json', 'firmware-cache.json'];
  for (const route of routes) {
    if (!route.path.includes(':')) continue;
    for (const trick of tricks) {
      const pathname = route.path.replace(/:[a-z]+/g, trick);
      const method = route.method;
      add(`path traversal: ${method} ${route.path}`, `${method} ${pathname} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        [400, 403, 404, 405, 409, 422]);
    }
  }
  for (const raw of ['/../jobs.json', '/..%2fjobs.json', '/%2e%2e/%2e%2e/etc/passwd', '/ota/../../jobs.json', '/api/../jobs.json', '/.%2e/inventory.json', '/\\..\\jobs.json']) {
    add('path traversal: outside any route', get(raw, {Authorization: AUTH}), [400, 404]);
  }

  // 5. wrong and malformed credentials
  const creds = ['', 'Basic', 'Basic =', 'Basic ' + Buffer.from(`${USER}:wrong`).toString('base64'), 'Basic ' + Buffer.from(`${USER}`).toString('base64'), 'Basic ' + Buffer.from(`:${PASSWORD}`).toString('base64'),
    'Basic ' + Buffer.from(`${USER}:${PASSWORD}x`).toString('base64'), 'Basic ' + Buffer.from(`${USER}:${PASSWORD.slice(0, -1)}`).toString('base64'), `Bearer ${PASSWORD}`, 'Basic ###', `Basic ${'\u00ff'.repeat(10)}`,
    'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64') + ' extra', 'Basic ' + Buffer.from(`${USER}\u0000:${PASSWORD}`).toString('base64'),
    'Basic ' + Buffer.from(`${USER.toUpperCase()}:${PASSWORD}`).toString('base64'), `Digest username="${USER}"`];
  for (const [i, cred] of creds.entries()) {
    const target = ['/api/jobs', '/api/devices', '/api/firmware', '/api/inventory'][i % 4]!;
    add('wrong credentials', Buffer.from(get(target, cred ? {Authorization: cred} : {}), 'latin1'), [400, 401]);
    add('wrong credentials, changing something', Buffer.from(`POST /api/jobs HTTP/1.1\r\nHost: x\r\n${cred ? `Authorization: ${cred}\r\n` : ''}Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`, 'latin1'), [400, 401]);
  }

  // 6. absolute URLs and odd request targets
  for (const target of ['http://127.0.0.1/healthz', 'http://evil.example/ota', 'https://x/api/jobs', '*', 'healthz', 'ota', 'http:/x', '//evil.example/api/jobs', '?', '#']) {
    add('absolute URLs and odd targets', `GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nConnection: close\r\n\r\n`, [400, 401, 404]);
  }
  add('absolute URLs and odd targets', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', [0, 400, 404, 405]);

  // 7. bad methods
  for (const method of ['TRACE', 'PROPFIND', 'FOO', 'get', 'G ET', 'GET\u0000', 'PATCH', 'OPTIONS', 'DELETE', 'PUT', 'BREW', 'M-SEARCH', 'PURGE']) {
    for (const target of ['/healthz', '/api/jobs']) add('bad methods', Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 'latin1'), [400, 404, 405, 501]);
  }

  // 8. protocol abuse
  add('protocol abuse', 'GET /\r\n\r\n', [0, 400, 404, 505]);
  // Node's parser takes an HTTP/2.0 request line as HTTP/1.x; /healthz is public anyway
  add('protocol abuse', 'GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n', [0, 200, 400, 505]);
  add('protocol abuse', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', [0, 400, 505]);
  add('protocol abuse', 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n', [0, 400, 505]);
  add('protocol abuse', `POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, [400]);
  add('protocol abuse', `POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}`, [400]);
  add('protocol abuse', `POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nTransfer-Encoding: gzip\r\n\r\nxx`, [400, 501]);
  add('protocol abuse', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, ...crypto.randomBytes(100)]), [0, 400]);
  add('protocol abuse', crypto.randomBytes(4096), [0, 400]);
  add('protocol abuse', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n', [400]);
  add('protocol abuse', 'GET /healthz HTTP/1.1\r\nHost: x\r\n Folded: header\r\n\r\n', [400]);
  add('protocol abuse', 'GET /healthz HTTP/1.1\nHost: x\n\n', [0, 400, 200]);
  add('protocol abuse', `POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: 400000\r\n\r\n${'['.repeat(2000)}`, REFUSED, true);
  const json = (body: string) => `POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  add('protocol abuse', json('{"__proto__":{"admin":true},"firmware":"relay@2.0.0","device":"x"}'), [400, 404, 409]);
  add('protocol abuse', json('{"firmware":["a","b"]}'), [400]);
  add('protocol abuse', json('{"firmware":"relay@2.0.0","devices":[1,null,{},"' + 'd'.repeat(5000) + '"]}'), [400, 404, 409]);
  add('protocol abuse', json('{"firmware":"relay@2.0.0","filter":"' + '('.repeat(10000) + '"}'), [400, 404]);
  return list;
}

/** A slow sender: a request line, then one header byte every `everyMs`, until the server hangs up. */
function slowloris(port: number, everyMs: number, body = false): {closedAfter: Promise<number>; stop(): void} {
  const socket = net.connect(port, '127.0.0.1');
  const started = performance.now();
  let timer: NodeJS.Timeout | null = null;
  socket.on('error', () => {});
  socket.on('connect', () => {
    socket.write(body ? `POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 100000\r\n\r\n` : 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    timer = setInterval(() => socket.write('a'), everyMs);
  });
  const closedAfter = new Promise<number>(resolve => socket.on('close', () => {
    if (timer) clearInterval(timer);
    resolve(performance.now() - started);
  }));
  return {closedAfter, stop: () => socket.destroy()};
}

let proc: HomieOtaProcess | null = null;
let cleanup: (() => void) | null = null;
afterEach(async () => {
  await stopParts({proc, cleanup});
  proc = cleanup = null;
});

function listTree(dir: string): string[] {
  return fs.readdirSync(dir, {recursive: true}).map(String).sort();
}

describe('hostile HTTP requests', () => {
  it('answers over two hundred of them with 4xx or cuts them off, and keeps serving', async () => {
    const tmp = tempDir('homie-ota-http-');
    cleanup = tmp.cleanup;
    const root = path.join(tmp.dir, 'firmwares');
    const image = placeFirmware(root, 'relay-2.0.0.bin', {name: 'relay', version: '2.0.0', size: 60_000});
    proc = await startHomieOta({cwd: tmp.dir, ini: `[global]\nHTTP_USER = ${USER}\nHTTP_PASSWORD = ${PASSWORD}\n`, user: USER, password: PASSWORD,
      args: ['--mqtt', 'embedded', '--broker-port', '0', '--firmware-dir', root, '--log-file', 'homie-ota.log'], watch: [/unexpected error|unhandled rejection/i]});
    // the route list, as the server has it
    const routes = (await import('../../../src/engine/engine.js')).createEngine((await import('../../helpers/config.js')).testConfig(tmp.dir, {brokerPort: '0', firmwareDir: 'unused'})).http.routes;
    const before = listTree(root);
    const stateFile = (name: string) => (fs.existsSync(path.join(root, name)) ? fs.readFileSync(path.join(root, name), 'utf8').replace(/"savedAt":"[^"]+"/, '') : null);
    const inventoryBefore = stateFile('inventory.json');

    // /healthz latency, measured all along
    const latencies: number[] = [];
    const healthFailures: string[] = [];
    let measuring = true;
    const measure = (async () => {
      while (measuring) {
        const t = performance.now();
        const res = await rawRequest(proc!.httpPort, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 5000).catch(error => ({status: 0, error}));
        latencies.push(performance.now() - t);
        if (res.status !== 200) healthFailures.push(`status ${res.status}`);
        await sleep(50);
      }
    })();

    // slow senders, held open through the whole barrage
    const port = proc.httpPort;
    const slow = [...Array.from({length: 40}, () => slowloris(port, 2000)), ...Array.from({length: 10}, () => slowloris(port, 2000, true))];

    const list = probes(routes, image);
    const outcomes = new Map<string, {count: number; statuses: Map<number, number>}>();
    const wrong: string[] = [];
    for (const probe of list) {
      const res = probe.endAfter ? await sendAndEnd(proc.httpPort, probe.request) : await rawRequest(proc.httpPort, probe.request, 4000).catch(() => ({status: 0, body: Buffer.alloc(0)}));
      const o = outcomes.get(probe.category) ?? {count: 0, statuses: new Map()};
      o.count++;
      o.statuses.set(res.status, (o.statuses.get(res.status) ?? 0) + 1);
      outcomes.set(probe.category, o);
      if (!probe.allowed.includes(res.status)) wrong.push(`${probe.category}: ${res.status} for ${String(probe.request).slice(0, 100).replace(/\r\n/g, '⏎')}`);
      if (res.status === 200 && probe.category.startsWith('OTA')) expect(res.body.equals(image), 'only the stored image may be served').toBe(true);
    }
    // header trickles are cut after HTTP's 10 s header limit; a trickling upload body only at the 120 s
    // request limit (a real upload over poor Wi-Fi may be slow), which SHORT=1 does not wait for
    const slowClosed = await Promise.all(slow.map((s, i) => Promise.race([s.closedAfter, sleep(i < 40 || SHORT ? 30_000 : 150_000).then(() => Infinity)])));
    for (const s of slow) s.stop();
    measuring = false;
    await measure;

    expect(proc.running()).toBe(true);
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!);
    const headerSlow = slowClosed.slice(0, 40);
    const bodySlow = slowClosed.slice(40);
    report('hostile HTTP', [
      ...[...outcomes].map(([category, o]) => `${category}: ${o.count} → ${[...o.statuses].map(([s, n]) => `${s === 0 ? 'cut off' : s}×${n}`).join(', ')}`),
      `total ${list.length} requests, plus ${slow.length} slow senders (one byte every 2 s)`,
      `slow senders cut off after ${Math.round(Math.min(...headerSlow) / 1000)}–${Math.round(Math.max(...headerSlow) / 1000)} s (headers), ${SHORT ? 'not waited for (SHORT=1)' : `${Math.round(Math.min(...bodySlow) / 1000)}–${Math.round(Math.max(...bodySlow) / 1000)} s`} (upload body)`,
      `/healthz during the barrage: ${latencies.length} requests, p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${pct(1)} ms, ${healthFailures.length} failed`,
      `homie-ota RSS ${proc.rssMb()} MB`,
    ]);
    expect(list.length).toBeGreaterThanOrEqual(200);
    expect(wrong).toEqual([]);
    expect(healthFailures).toEqual([]);
    expect(pct(0.95)).toBeLessThan(500);
    expect(Math.max(...headerSlow)).toBeLessThan(30_000);
    if (!SHORT) expect(Math.max(...bodySlow)).toBeLessThan(150_000);
    // nothing written, nothing left behind, nothing touched
    expect(listTree(root)).toEqual(before);
    expect(stateFile('inventory.json')).toBe(inventoryBefore);
    expect((await proc.api('/api/firmware')).body.firmware.map((f: {file: string}) => f.file)).toEqual(['relay-2.0.0.bin']);
    expect(proc.matches()).toEqual([]);
    expect(await proc.stop()).toEqual({code: 0, signal: null});
  });
});

/** Write the request, half-close, and read whatever comes back (status 0 when nothing does). */
function sendAndEnd(port: number, request: Buffer | string): Promise<{status: number; body: Buffer}> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      resolve({status: Number(/^HTTP\/\d\.\d (\d{3})/.exec(raw.toString('latin1'))?.[1] ?? 0), body: raw});
    };
    const timer = setTimeout(done, 4000);
    socket.on('data', c => chunks.push(c));
    socket.on('close', done);
    socket.on('error', () => {});
    socket.on('connect', () => socket.end(request));
  });
}
