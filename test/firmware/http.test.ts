import {execFile} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {promisify} from 'node:util';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import type {Engine} from '../../src/engine/engine.js';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {rawRequest} from '../helpers/http.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';
import {firmwareDir, ls, startEngine} from './helpers.js';

const run = promisify(execFile);
const curlPath = ['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].find(p => fs.existsSync(p));

let dir: string;
let root: string;
let cleanup: () => void;
const engines: Engine[] = [];
beforeEach(() => {
  ({dir, cleanup} = tempDir());
  root = firmwareDir(dir);
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map(e => e.stop()));
  cleanup();
});

async function start(setup: Parameters<typeof startEngine>[1] = {}): Promise<{engine: Engine; base: string}> {
  const engine = await startEngine(dir, setup);
  engines.push(engine);
  return {engine, base: `http://127.0.0.1:${engine.http.boundPort}`};
}

function form(file: Buffer | null, filename = 'x.bin', description?: string): FormData {
  const body = new FormData();
  if (file) body.append('upload', new Blob([file]), filename);
  if (description !== undefined) body.append('description', description);
  return body;
}

const json = (res: Response): Promise<any> => res.json();
const md5 = (data: Buffer) => crypto.createHash('md5').update(data).digest('hex');
/** Files in the root other than the cache: what an upload left behind. */
const leftovers = () => ls(root).filter(f => f !== 'firmware-cache.json');

describe.runIf(curlPath)('POST /upload with the curl command of the original README', () => {
  it('stores the firmware under its Homie name and answers in the original style', async () => {
    const {engine, base} = await start();
    const work = path.join(dir, 'sketch');
    fs.mkdirSync(work);
    const image = buildFirmwareImage({name: 'lt', version: '2.0.0'});
    fs.writeFileSync(path.join(work, 'lt.ino.d1_mini.bin'), image);
    const {stdout} = await run(curlPath!, ['-sS', '-F', 'upload=@lt.ino.d1_mini.bin', '-F', 'description=D1-mini with homie-1.4.1', `${base}/upload`], {cwd: work});
    expect(stdout.trim()).toBe(`Firmware from lt.ino.d1_mini.bin uploaded as ${path.join(root, 'lt-2.0.0.bin')}`);
    expect(fs.readFileSync(path.join(root, 'lt-2.0.0.bin')).equals(image)).toBe(true);
    expect(fs.readFileSync(path.join(root, 'lt-2.0.0.txt'), 'utf8')).toBe('D1-mini with homie-1.4.1\n');
    expect(engine.firmware.find('lt', '2.0.0')).toMatchObject({description: 'D1-mini with homie-1.4.1', md5: md5(image)});
    expect(leftovers()).toEqual(['lt-2.0.0.bin', 'lt-2.0.0.txt']);
  });

  it('works with basic auth as the README says (-u user:password) and refuses without it', async () => {
    const {base} = await start({ini: {HTTP_USER: 'admin', HTTP_PASSWORD: 'secret99'}});
    const file = path.join(dir, 'fw.bin');
    fs.writeFileSync(file, buildFirmwareImage({name: 'auth', version: '1.0.0'}));
    const denied = await run(curlPath!, ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-F', `upload=@${file}`, `${base}/upload`]);
    expect(denied.stdout).toBe('401');
    expect(ls(root)).not.toContain('auth-1.0.0.bin');
    const {stdout} = await run(curlPath!, ['-sS', '-u', 'admin:secret99', '-F', `upload=@${file}`, `${base}/upload`]);
    expect(stdout).toMatch(/uploaded as .*auth-1\.0\.0\.bin/);
  });

  it('refuses a file over the limit with 413 and stores nothing', async () => {
    const {base} = await start({ini: {OTA_UPLOAD_LIMIT: '100K'}});
    const file = path.join(dir, 'big.bin');
    fs.writeFileSync(file, buildFirmwareImage({name: 'big', version: '1.0.0', size: 3 * 1024 * 1024}));
    const {stdout} = await run(curlPath!, ['-sS', '-w', '\n%{http_code}', '-F', `upload=@${file}`, `${base}/upload`]);
    expect(stdout).toMatch(/larger than the upload limit of 100\.0 KiB \(OTA_UPLOAD_LIMIT in homie-ota\.ini\)\n+413$/);
    expect(leftovers()).toEqual([]);
    // just over the limit: refused while streaming, not from the declared length
    fs.writeFileSync(file, buildFirmwareImage({name: 'big', version: '1.0.0', size: 130 * 1024}));
    const streamed = await run(curlPath!, ['-sS', '-w', '\n%{http_code}', '-F', `upload=@${file}`, `${base}/upload`]);
    expect(streamed.stdout).toMatch(/^Firmware from big\.bin not stored: it is larger than the upload limit[^\n]*\n+413$/);
    expect(leftovers()).toEqual([]);
  });
});

describe('POST /upload', () => {
  it('answers JSON when asked', async () => {
    const {base} = await start();
    const res = await fetch(`${base}/upload`, {method: 'POST', body: form(buildFirmwareImage({name: 'j', version: '1.0.0'}), 'j.bin'), headers: {Accept: 'application/json'}});
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ok: true, outcome: 'stored', firmware: {name: 'j', version: '1.0.0', file: 'j-1.0.0.bin', chip: 'esp8266'}});
  });

  it('cuts off a body over the limit that declares no length (chunked), leaving no temporary file', async () => {
    const {engine} = await start({ini: {OTA_UPLOAD_LIMIT: '64K'}});
    const boundary = 'XyZ';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="huge.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const chunk = (data: Buffer | string) => {
      const b = Buffer.from(data);
      return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
    };
    const body = Buffer.concat([chunk(head), chunk(Buffer.alloc(200 * 1024, 0xe9)), chunk(`\r\n--${boundary}--\r\n`), Buffer.from('0\r\n\r\n')]);
    const request = Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n\r\n`), body]);
    const res = await rawRequest(engine.http.boundPort, request);
    expect(res.status).toBe(413);
    expect(res.body.toString()).toMatch(/Firmware from huge\.bin not stored/);
    expect(leftovers()).toEqual([]);
  });

  it('leaves nothing behind when the client hangs up in the middle of an upload', async () => {
    const {engine} = await start();
    const socket = net.connect(engine.http.boundPort, '127.0.0.1');
    await new Promise(resolve => socket.once('connect', resolve));
    const head = '--b\r\nContent-Disposition: form-data; name="upload"; filename="cut.bin"\r\n\r\n';
    socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 300000\r\n\r\n${head}`);
    socket.write(buildFirmwareImage({name: 'cut', version: '1.0.0'}).subarray(0, 50_000));
    await waitFor(() => ls(root).some(f => f.startsWith('.upload-')), 'the temporary file to appear');
    socket.destroy();
    await waitFor(() => !ls(root).some(f => f.startsWith('.upload-')), 'the temporary file to be removed');
    expect(leftovers()).toEqual([]);
    expect(engine.firmware.list()).toEqual([]);
  });

  it('refuses a declared length far over the limit before reading the body', async () => {
    const {engine} = await start({ini: {OTA_UPLOAD_LIMIT: '64K'}});
    const res = await rawRequest(engine.http.boundPort, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=a\r\nContent-Length: 50000000\r\n\r\n--a\r\n');
    expect(res.status).toBe(413);
    expect(leftovers()).toEqual([]);
  });

  it('says what is wrong with an upload that is not a firmware, and stores nothing', async () => {
    const {base} = await start();
    let res = await fetch(`${base}/upload`, {method: 'POST', body: form(Buffer.from('<html>oops</html>'), 'page.html')});
    expect(res.status).toBe(422);
    expect(await res.text()).toMatch(/^No valid firmware in page\.html: not an ESP firmware image: it starts with text/);
    res = await fetch(`${base}/upload`, {method: 'POST', body: form(buildFirmwareImage({markers: false}), 'sketch.bin')});
    expect(await res.text()).toMatch(/No valid firmware in sketch\.bin: no Homie firmware markers: add Homie_setFirmware/);
    res = await fetch(`${base}/upload`, {method: 'POST', body: form(null, '', 'only a description')});
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^File is missing: send the firmware in the multipart field "upload"/);
    res = await fetch(`${base}/upload`, {method: 'POST', body: 'raw bytes', headers: {'Content-Type': 'application/octet-stream'}});
    expect(res.status).toBe(400);
    expect(leftovers()).toEqual([]);
    expect(ls(path.join(root, 'rejected'))).toEqual([]);
  });

  it('accepts a marker-less image uploaded as name-version.bin, from its name', async () => {
    const {engine, base} = await start();
    const res = await fetch(`${base}/upload`, {method: 'POST', body: form(buildFirmwareImage({markers: false}), 'tasmota-13.0.0.bin')});
    expect(res.status).toBe(200);
    expect(engine.firmware.find('tasmota', '13.0.0')).toMatchObject({markers: false});
  });

  it('does not use a path in the client file name', async () => {
    const {base} = await start();
    const res = await fetch(`${base}/upload`, {method: 'POST', body: form(buildFirmwareImage({markers: false}), '../../evil-1.0.0.bin')});
    expect(res.status).toBe(200);
    expect(ls(root)).toContain('evil-1.0.0.bin');
    expect(fs.existsSync(path.join(dir, 'evil-1.0.0.bin'))).toBe(false);
  });

  it('two concurrent uploads of the same version: one is stored, the other is told it is identical', async () => {
    const {engine, base} = await start();
    const image = buildFirmwareImage({name: 'twin', version: '1.0.0', size: 500_000});
    const answers = await Promise.all([1, 2].map(() => fetch(`${base}/upload`, {method: 'POST', body: form(image), headers: {Accept: 'application/json'}}).then(json)));
    expect(answers.map(a => a.outcome).sort()).toEqual(['identical', 'stored']);
    expect(md5(fs.readFileSync(path.join(root, 'twin-1.0.0.bin')))).toBe(md5(image));
    expect(engine.firmware.list()).toHaveLength(1);
    expect(leftovers()).toEqual(['twin-1.0.0.bin']);
  });

  it('two concurrent uploads of the same version with different content: one wins whole, the other gets 409', async () => {
    const {base} = await start();
    const a = buildFirmwareImage({name: 'race', version: '1.0.0', size: 400_000, seed: 'a'});
    const b = buildFirmwareImage({name: 'race', version: '1.0.0', size: 400_000, seed: 'b'});
    const answers = await Promise.all([a, b].map(image => fetch(`${base}/upload`, {method: 'POST', body: form(image)}).then(async r => ({status: r.status, text: await r.text()}))));
    expect(answers.map(x => x.status).sort()).toEqual([200, 409]);
    expect(answers.find(x => x.status === 409)!.text).toMatch(/race 1\.0\.0 is already stored as race-1\.0\.0\.bin with different content/);
    const stored = md5(fs.readFileSync(path.join(root, 'race-1.0.0.bin')));
    expect([md5(a), md5(b)]).toContain(stored);
    expect(leftovers()).toEqual(['race-1.0.0.bin']);
  });

  it('an identical re-upload with a new description updates only the description', async () => {
    const {engine, base} = await start();
    const image = buildFirmwareImage({name: 'd', version: '1.0.0'});
    await fetch(`${base}/upload`, {method: 'POST', body: form(image, 'd.bin', 'first')});
    const res = await fetch(`${base}/upload`, {method: 'POST', body: form(image, 'd.bin', 'second')});
    expect(await res.text()).toMatch(/identical to d-1\.0\.0\.bin, which is already stored; description updated/);
    expect(engine.firmware.find('d', '1.0.0')!.description).toBe('second');
  });

  it('stores a new description sent with an identical image that is not listed yet, and says so', async () => {
    const {engine, base} = await start();
    const image = buildFirmwareImage({name: 'late', version: '1.0.0'});
    // copied in a moment ago: on disk, still settling, not in the listing
    fs.writeFileSync(path.join(root, 'late-1.0.0.bin'), image);
    expect(engine.firmware.find('late', '1.0.0')).toBeUndefined();
    const res = await fetch(`${base}/upload`, {method: 'POST', body: form(image, 'late.bin', 'new words')});
    expect(await res.text()).toMatch(/identical to late-1\.0\.0\.bin, which is already stored; description updated\n?$/);
    expect(fs.readFileSync(path.join(root, 'late-1.0.0.txt'), 'utf8')).toBe('new words\n');
    await waitFor(() => engine.firmware.find('late', '1.0.0'), 'the file to be listed', 10_000);
    expect(engine.firmware.find('late', '1.0.0')!.description).toBe('new words');
    // the same words again: nothing changed, and the answer says why
    const again = await fetch(`${base}/upload`, {method: 'POST', body: form(image, 'late.bin', 'new words')});
    expect(await again.text()).toMatch(/which is already stored; nothing changed \(the same description\)\n?$/);
  });

  it('is refused with 403 in read-only mode', async () => {
    const {base} = await start({readonly: true});
    const res = await fetch(`${base}/upload`, {method: 'POST', body: form(buildFirmwareImage())});
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/read-only mode/);
    expect(leftovers()).toEqual([]);
  });
});

describe('the management routes', () => {
  const files = () => ({
    'relay-1.0.0.bin': buildFirmwareImage({name: 'relay', version: '1.0.0'}),
    'relay-1.0.0.txt': 'kitchen',
    'inventory.json': '{"keep": "me"}',
  });

  it('GET /api/firmware lists the store as JSON', async () => {
    const {base} = await start({files: files()});
    const body = await json(await fetch(`${base}/api/firmware`));
    expect(body.firmware).toHaveLength(1);
    expect(body.firmware[0]).toMatchObject({name: 'relay', version: '1.0.0', file: 'relay-1.0.0.bin', description: 'kitchen', chip: 'esp8266', gzip: false, md5: expect.stringMatching(/^[0-9a-f]{32}$/)});
    expect(body.drops).toEqual([]);
    const one = await json(await fetch(`${base}/api/firmware/relay/1.0.0`));
    expect(one.file).toBe('relay-1.0.0.bin');
    expect((await fetch(`${base}/api/firmware/relay/9.9.9`)).status).toBe(404);
  });

  it('DELETE /api/firmware/<name>/<version> deletes, and refuses while in use', async () => {
    const {engine, base} = await start({files: files()});
    engine.firmware.setInUseCheck(() => 'a queued job uses it');
    let res = await fetch(`${base}/api/firmware/relay/1.0.0`, {method: 'DELETE'});
    expect(res.status).toBe(409);
    expect((await json(res)).message).toMatch(/a queued job uses it/);
    engine.firmware.setInUseCheck(null);
    res = await fetch(`${base}/api/firmware/relay/1.0.0`, {method: 'DELETE'});
    expect(res.status).toBe(200);
    expect(ls(root)).not.toContain('relay-1.0.0.bin');
    expect(ls(root)).not.toContain('relay-1.0.0.txt');
  });

  it("the original's DELETE /firmware/<file> deletes firmware files and nothing else", async () => {
    const {base} = await start({files: files()});
    let res = await fetch(`${base}/firmware/inventory.json`, {method: 'DELETE'});
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/only firmware files named <name>-<version>\.bin can be deleted/);
    res = await fetch(`${base}/firmware/relay-2.0.0.bin`, {method: 'DELETE'});
    expect(await res.text()).toMatch(/Unable to delete firmware relay-2\.0\.0\.bin, does not exist/);
    res = await fetch(`${base}/firmware/relay-1.0.0.bin`, {method: 'DELETE'});
    expect(res.status).toBe(200);
    expect((await res.text()).trim()).toBe('Deleted firmware relay-1.0.0.bin');
    expect(fs.readFileSync(path.join(root, 'inventory.json'), 'utf8')).toBe('{"keep": "me"}');
  });

  it('path tricks get a 4xx and touch nothing', async () => {
    const {engine} = await start({files: files()});
    fs.writeFileSync(path.join(dir, 'outside-1.0.0.bin'), buildFirmwareImage({name: 'outside', version: '1.0.0'}));
    const port = engine.http.boundPort;
    for (const target of [
      '/firmware/..%2Finventory.json', '/firmware/%2e%2e%2foutside-1.0.0.bin', '/firmware/../outside-1.0.0.bin',
      '/firmware/..%5Coutside-1.0.0.bin', '/firmware/%2Fetc%2Fpasswd', '/api/firmware/..%2F..%2Foutside/1.0.0',
      '/api/firmware/relay/..', '/firmware/relay-1.0.0.bin%00.txt', 'http://evil/firmware/relay-1.0.0.bin',
    ]) {
      const res = await rawRequest(port, `DELETE ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(res.status, target).toBeGreaterThanOrEqual(400);
      expect(res.status, target).toBeLessThan(500);
    }
    expect(ls(root)).toEqual(expect.arrayContaining(['relay-1.0.0.bin', 'relay-1.0.0.txt', 'inventory.json']));
    expect(fs.existsSync(path.join(dir, 'outside-1.0.0.bin'))).toBe(true);
  });

  it('PUT /api/firmware/<name>/<version>/description sets the description', async () => {
    const {engine, base} = await start({files: files()});
    const res = await fetch(`${base}/api/firmware/relay/1.0.0/description`, {method: 'PUT', body: JSON.stringify({description: 'hall'}), headers: {'Content-Type': 'application/json'}});
    expect(res.status).toBe(200);
    expect(engine.firmware.find('relay', '1.0.0')!.description).toBe('hall');
  });

  it('needs basic auth when it is configured, and refuses changes in read-only mode', async () => {
    const {base} = await start({files: files(), ini: {HTTP_USER: 'admin', HTTP_PASSWORD: 'secret99'}});
    expect((await fetch(`${base}/api/firmware`)).status).toBe(401);
    expect((await fetch(`${base}/api/firmware/relay/1.0.0`, {method: 'DELETE'})).status).toBe(401);
    const auth = {Authorization: `Basic ${Buffer.from('admin:secret99').toString('base64')}`};
    expect((await fetch(`${base}/api/firmware`, {headers: auth})).status).toBe(200);
    await engines.pop()!.stop();
    const {base: readonlyBase} = await start({readonly: true});
    expect((await fetch(`${readonlyBase}/api/firmware/relay/1.0.0`, {method: 'DELETE'})).status).toBe(403);
    expect((await fetch(`${readonlyBase}/firmware/relay-1.0.0.bin`, {method: 'DELETE'})).status).toBe(403);
    expect(ls(root)).toContain('relay-1.0.0.bin');
  });
});
