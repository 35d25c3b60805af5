import type {FirmwareRecord} from '../firmware/store.js';
import type {DeviceRecord} from '../inventory/inventory.js';
import {sendText, type RequestContext} from '../http/server.js';
import type {Log} from '../log.js';
import {compareVersions} from '../util/version.js';
import type {Job} from './job.js';
import type {DeviceLookup, FirmwareCatalog, RouteDescriptor} from './ports.js';
import {parsePullClient, type PullClient} from './pull-headers.js';
import {matchV1Payload} from './v1-payload.js';
import {ImageCache} from './image-cache.js';

/** What the pull endpoint asks of the OTA queue: the job a download is for, and how the download goes. */
export interface PullJobs {
  /** the Homie 1.x job of the device that is waiting for this download (`target`: the version it asks for), if any */
  jobForDownload(deviceKey: string, target: string | undefined): Job | undefined;
  transferStarted(jobId: string, total: number): void;
  transferProgress(jobId: string, done: number, total: number): void;
  /** the download completed (no error) or stopped at `done` bytes (the error says so in words) */
  transferEnded(jobId: string, done: number, total: number, error?: string): void;
  /** the image is not served to the device: its job fails with the reason */
  refused(jobId: string, reason: string): void;
}

export interface PullEndpointDeps {
  readonly log: Log;
  readonly devices: DeviceLookup;
  readonly firmware: FirmwareCatalog;
  readonly jobs: PullJobs;
  /** OTA_ENDPOINT, and whether it asks for the HTTP login */
  readonly path: string;
  readonly auth: boolean;
}

export interface PullEndpoint {
  readonly route: RouteDescriptor;
  /** the firmware folder changed: images read before are dropped */
  firmwareChanged(): void;
}

/**
 * GET OTA_ENDPOINT: the download ESP8266httpUpdate / ESP32 HTTPUpdate clients make (Homie 1.x after
 * `$ota`, plain sketches checking for updates). The answer is 200 with Content-Length and x-MD5 (never
 * chunked, never a redirect) only when a job or a newer build of the device's firmware is meant for
 * it; 304 when there is nothing to do; 403 (with the reason in the log and on the job) when the image
 * would not fit or is for another chip. A device flashes only on 200, so no error page is ever taken
 * for firmware.
 */
export function pullEndpoint({log, devices, firmware: store, jobs: ota, path, auth}: PullEndpointDeps): PullEndpoint {
  const cache = new ImageCache();
  return {route: {method: 'GET', path, handler: ctx => handle(ctx), auth}, firmwareChanged: () => cache.clear()};

  function handle({req, res}: RequestContext): void | Promise<void> {
    const client = parsePullClient(req.headers);
    const who = describeClient(client, req.socket.remoteAddress);
    log.debug(() => `request from ${who}: ${JSON.stringify(Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-esp') || k === 'user-agent')))}`);
    if (client.platform === 'unknown' && client.version.kind === 'none') {
      log.info(`refused a request without ESP update headers from ${req.socket.remoteAddress ?? '?'}`);
      return sendText(res, 403, 'Not an ESP8266/ESP32 HTTP update client');
    }
    if (client.mode && client.mode !== 'sketch') return notModified(log, res, `${who} asked for a ${client.mode} image; only sketches are served`);
    const device = findDevice(devices, client);
    const chosen = choose(store, ota, client, device);
    if ('none' in chosen) return notModified(log, res, `${who}: ${chosen.none}`);
    const {firmware, job} = chosen;
    const refuse = (reason: string) => {
      log.warn(`not serving ${firmware.file} to ${who}: ${reason}`);
      if (job) ota.refused(job.id, reason);
      sendText(res, 403, `Not served: ${reason}`);
    };
    if (client.sketchMd5 && client.sketchMd5 === firmware.md5) {
      if (job) ota.refused(job.id, `the device already runs ${firmware.file} (same MD5)`);
      return notModified(log, res, `${who} already runs ${firmware.file}`);
    }
    const imageFamily = firmware.chip.startsWith('esp32') ? 'esp32' : firmware.chip.startsWith('esp8266') ? 'esp8266' : 'unknown';
    if (client.platform !== 'unknown' && imageFamily !== 'unknown' && imageFamily !== client.platform) {
      return refuse(`${firmware.file} is an ${firmware.chip} image; the device is an ${client.platform}`);
    }
    if (firmware.gzip && client.platform === 'esp32') return refuse('gzip images cannot be flashed by ESP32 update clients');
    if (client.freeSpace !== undefined && firmware.size > client.freeSpace) {
      return refuse(`${firmware.file} (${firmware.size} bytes) does not fit the ${client.freeSpace} bytes of free sketch space the device reports`);
    }
    return serve({log, store, cache, jobs: ota}, req, res, firmware, job, who);
  }
}

interface Served {
  readonly log: Log;
  readonly store: FirmwareCatalog;
  readonly cache: ImageCache;
  readonly jobs: PullJobs;
}

/** Send the image: from memory in one write, or for a job in slices so its progress can be followed. */
async function serve(served: Served, req: RequestContext['req'], res: RequestContext['res'], firmware: FirmwareRecord, job: Job | undefined, who: string): Promise<void> {
  const {log, store, cache, jobs: ota} = served;
  const image = await cache.get(store.pathOf(firmware), firmware.md5.toLowerCase());
  if ('error' in image) {
    log.error(image.error);
    if (job) ota.refused(job.id, image.error);
    return notModified(log, res, `${firmware.file} cannot be served: ${image.error}`);
  }
  const data = image.data;
  const size = data.length;
  // Content-Length and x-MD5 are what the update clients check; no chunking, no compression
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': size,
    'x-MD5': firmware.md5.toLowerCase(),
    'Cache-Control': 'no-store',
    'Connection': 'close',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  log.debug(() => `serving ${firmware.file} (${size} bytes) to ${who}${job ? ` for job ${job.id}` : ' (newer build)'}`);
  res.setTimeout(60_000, () => res.destroy());
  let offset = 0;
  const flushed = () => Math.max(0, offset - res.writableLength);
  res.on('close', () => {
    if (res.writableFinished) {
      log.debug(() => `${who} downloaded ${firmware.file}${job ? ` (job ${job.id})` : ' (a newer build of its firmware)'}`);
      if (job) ota.transferEnded(job.id, size, size);
    } else {
      const sent = flushed();
      log.warn(`${who} stopped downloading ${firmware.file} at ${sent} of ${size} bytes`);
      if (job) ota.transferEnded(job.id, sent, size, `the download stopped at ${Math.floor((sent / size) * 100)}% (${sent} of ${size} bytes)`);
    }
  });
  if (!job) {
    // one write from memory: the fastest way for the many-clients case
    offset = size;
    res.end(data);
    return;
  }
  // a job's download goes in slices so its progress can be followed
  ota.transferStarted(job.id, size);
  let lastNote = 0;
  const pump = () => {
    while (offset < size) {
      const next = Math.min(size, offset + 16 * 1024);
      const more = res.write(data.subarray(offset, next));
      offset = next;
      const now = Date.now();
      if (now - lastNote > 250) {
        lastNote = now;
        ota.transferProgress(job.id, flushed(), size);
      }
      if (!more) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

function notModified(log: Log, res: RequestContext['res'], why: string): void {
  // devices poll for updates: "nothing new" is routine, kept out of the normal log
  log.debug(() => `304 ${why}`);
  res.writeHead(304, {'Cache-Control': 'no-store'});
  res.end();
}

function describeClient(client: PullClient, address: string | undefined): string {
  const id = client.version.kind === 'homie' ? client.version.id : client.staMac ?? address ?? '?';
  return `${client.platform === 'unknown' ? 'client' : client.platform} ${id}`;
}

/** The inventory device behind a request: by Homie id (from the version header), then by MAC. */
function findDevice(inventory: DeviceLookup, client: PullClient): DeviceRecord | undefined {
  const devices = inventory.list();
  if (client.version.kind === 'homie') {
    const id = client.version.id;
    const byId = devices.filter(d => d.id === id);
    if (byId.length === 1) return byId[0];
    if (byId.length > 1) return byId.find(d => d.homie.startsWith('1')) ?? byId[0];
  }
  if (client.staMac) return devices.find(d => d.mac?.toUpperCase() === client.staMac);
  return undefined;
}

type Choice = {firmware: FirmwareRecord; job?: Job} | {none: string};

function choose(store: FirmwareCatalog, ota: PullJobs, client: PullClient, device: DeviceRecord | undefined): Choice {
  const target = client.version.kind === 'homie' ? client.version.target : undefined;
  if (device) {
    const job = ota.jobForDownload(device.key, target);
    if (job) {
      const firmware = store.find(job.firmware.name, job.firmware.version);
      return firmware ? {firmware, job} : {none: `${job.firmware.file} of job ${job.id} is no longer in the store`};
    }
  }
  // without a job: only a newer build of the firmware the device runs
  let name: string | undefined;
  let current: string | undefined;
  if (client.version.kind === 'homie') {
    name = client.version.fwName;
    current = client.version.fwVersion;
  } else if (client.sketchMd5) {
    const running = store.byMd5(client.sketchMd5);
    name = running?.name;
    current = running?.version;
  }
  if (!name && device?.fw.name) {
    name = device.fw.name;
    current = device.fw.version;
  }
  if (!name && client.version.kind === 'plain') {
    const m = /^(.+)@([^@]+)$/.exec(client.version.value);
    if (m) {
      name = m[1];
      current = m[2];
    }
  }
  if (!name) return {none: 'cannot tell which firmware it runs (no Homie version header, unknown sketch MD5)'};
  if (target) {
    const asked = target.includes('@') ? matchV1Payload(target, store.list()) : store.find(name, target);
    if (asked && asked.name !== name) return {none: `asks for ${asked.file}, a different firmware, without a job: create a job for it first`};
    if (asked) return {firmware: asked};
  }
  const newest = store.newest(name);
  if (!newest) return {none: `no ${name} firmware in the store`};
  if (current !== undefined && compareVersions(newest.version, current) <= 0) return {none: `runs ${name} ${current}; nothing newer in the store`};
  return {firmware: newest};
}

