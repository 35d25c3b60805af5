import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import type {FirmwareRecord} from '../../src/engine/firmware/store.js';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import type {DeviceRecord} from '../../src/engine/inventory/inventory.js';
import type {Job} from '../../src/engine/ota/job.js';
import {Logger} from '../../src/engine/log.js';
import {pullEndpoint, type PullJobs} from '../../src/engine/ota/pull-endpoint.js';
import {httpUpdateCheck, type HttpUpdateParams} from '../../src/sim/index.js';
import {tempDir} from '../helpers/tmp.js';
import {waitFor} from '../helpers/wait-for.js';

// The pull endpoint on its own: its route served by a plain Node server on a real socket, the image
// read from a real file, and the queue behind it replaced by a hand-written PullJobs that records
// what the endpoint tells it. No Engine, no broker.

const device = {key: 'homie/lamp', id: 'lamp', prefix: 'homie', homie: '1.5.0', state: 'ready', online: true, fw: {name: 'relay', version: '1.0.0'}} as DeviceRecord;

let dir: string;
let cleanup: () => void;
let server: http.Server;
let url: string;
let record: FirmwareRecord;
let calls: string[];
let job: Job | undefined;

const jobs: PullJobs = {
  jobForDownload: (key, target) => (key === device.key && (target === undefined || target === '1.1.0') ? job : undefined),
  transferStarted: (id, total) => void calls.push(`started ${id} ${total}`),
  transferProgress: (id, done, total) => void calls.push(`progress ${id} ${done <= total}`),
  transferEnded: (id, done, total, error) => void calls.push(`ended ${id} ${done}/${total}${error ? ` ${error}` : ''}`),
  refused: (id, reason) => void calls.push(`refused ${id}: ${reason}`),
};

beforeEach(async () => {
  ({dir, cleanup} = tempDir());
  const image = buildFirmwareImage({name: 'relay', version: '1.1.0', size: 90_000});
  fs.writeFileSync(path.join(dir, 'relay-1.1.0.bin'), image);
  const md5 = crypto.createHash('md5').update(image).digest('hex');
  record = {name: 'relay', version: '1.1.0', file: 'relay-1.1.0.bin', md5, size: image.length, chip: 'esp8266', gzip: false} as FirmwareRecord;
  calls = [];
  job = {
    id: 'j-7', deviceKey: device.key, deviceId: device.id, method: 'v1-ota', state: 'sending', createdAt: 0, updatedAt: 0, attempt: 1, from: {}, timeline: [],
    firmware: {name: record.name, version: record.version, file: record.file, md5: record.md5, size: record.size, chip: record.chip, gzip: false},
  };
  const endpoint = pullEndpoint({
    log: new Logger({debug: false}).child('ota-http'),
    devices: {get: key => (key === device.key ? device : undefined), list: () => [device]},
    firmware: {
      find: (name, version) => (name === record.name && version === record.version ? record : undefined),
      list: () => [record], newest: name => (name === record.name ? record : undefined), byMd5: () => undefined,
      pathOf: r => path.join(dir, r.file),
    },
    jobs,
    path: '/ota',
    auth: false,
  });
  expect(endpoint.route).toMatchObject({method: 'GET', path: '/ota', auth: false});
  server = http.createServer((req, res) => void endpoint.route.handler({req, res, url: new URL(req.url ?? '/', 'http://x'), params: {}}));
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as {port: number}).port}/ota`;
});

afterEach(async () => {
  await new Promise(resolve => server.close(resolve));
  cleanup();
});

const client = (patch: Partial<HttpUpdateParams> = {}): HttpUpdateParams => ({
  chip: 'esp8266', core: '2.3.0', staMac: '18:FE:34:D4:06:55', apMac: '1A:FE:34:D4:06:55', freeSpace: 679_936, sketchSize: 367_776,
  sketchMd5: 'f'.repeat(32), chipSize: 4_194_304, currentVersion: 'lamp=relay@1.0.0->1.1.0', ...patch,
});

describe('the pull endpoint through PullJobs', () => {
  it('serves the job\'s image and reports the download from its start to its end', async () => {
    const result = await httpUpdateCheck(url, client());
    expect(result).toMatchObject({result: 'ok', status: 200, md5: record.md5});
    await waitFor(() => calls.some(c => c.startsWith('ended')), 'the end of the download');
    expect(calls[0]).toBe(`started j-7 ${record.size}`);
    expect(calls.at(-1)).toBe(`ended j-7 ${record.size}/${record.size}`);
    expect(calls.filter(c => c.startsWith('refused'))).toEqual([]);
  });

  it('refuses an image for another chip and fails the job with the reason, which it never serves', async () => {
    const result = await httpUpdateCheck(url, client({chip: 'esp32'}));
    expect(result).toMatchObject({result: 'failed', status: 403});
    expect(calls).toEqual(['refused j-7: relay-1.1.0.bin is an esp8266 image; the device is an esp32']);
  });

  it('without a job: a newer build is served, and the queue hears nothing', async () => {
    job = undefined;
    const result = await httpUpdateCheck(url, client({currentVersion: 'lamp=relay@1.0.0'}));
    expect(result).toMatchObject({result: 'ok', status: 200, md5: record.md5});
    expect(calls).toEqual([]);
  });
});
