import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import zlib from 'node:zlib';
import {afterEach, describe, expect, it} from 'vitest';
import {connectRemote, type RemoteSource} from '../../src/remote/remote-source.js';
import {attachRoutes} from '../../src/remote/stream-routes.js';
import {streamState} from '../../src/remote/stream-state.js';
import {createEngineSource} from '../../src/store/engine-source.js';
import {otaWorld, type OtaWorld} from '../ota/helpers.js';
import {sleep, waitFor} from '../helpers/wait-for.js';

/** Attached dashboards against a real engine over real sockets: the stream, the actions, the bounds. */

let world: OtaWorld | null = null;
const sources: RemoteSource[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const source of sources.splice(0)) source.close();
  await world?.close();
  world = null;
});

const relay = {name: 'relay', version: '1.0.0'};
const target = {name: 'relay', version: '1.1.0'};

async function served(maxBuffered?: number) {
  world = await otaWorld({specs: [{id: 'one', generation: 'v3', fw: relay}, {id: 'two', generation: 'v3', fw: relay}]});
  const attach = attachRoutes(world.engine, {version: 'test', heartbeatMs: 500, ...(maxBuffered ? {maxBuffered} : {})});
  world.engine.http.register(attach.routes);
  return {engine: world.engine, hub: attach.hub, url: `http://127.0.0.1:${world.engine.http.boundPort}`};
}

async function attached(url: string): Promise<RemoteSource> {
  const source = await connectRemote({url}, {intervalMs: 20});
  sources.push(source);
  return source;
}

/** Count the SSE events of GET /api/stream for `ms`. */
function countEvents(url: string, ms: number): Promise<{patches: number; snapshots: number; bytes: number}> {
  return new Promise((resolve, reject) => {
    const counts = {patches: 0, snapshots: 0, bytes: 0};
    const req = http.get(`${url}/api/stream`, res => {
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        counts.bytes += text.length;
        counts.patches += text.split('event: patch\n').length - 1;
        counts.snapshots += text.split('event: snapshot\n').length - 1;
      });
      setTimeout(() => {
        req.destroy();
        resolve(counts);
      }, ms);
    });
    req.on('error', reject);
  });
}

describe('dashboards attached over HTTP', () => {
  it('two dashboards see the same jobs; a job started in one appears in the other; answers carry the service\'s words', async () => {
    const {engine, hub, url} = await served();
    expect(hub.active, 'nothing is built before someone attaches').toBe(false);
    const a = await attached(url);
    // the other one as from another host: the stream gzipped
    const b = await connectRemote({url}, {intervalMs: 20, compress: true});
    sources.push(b);
    expect(hub.clients).toHaveLength(2);
    expect(a.store.getSnapshot().devices.total).toBe(2);
    expect(a.store.getSnapshot().attached).toEqual({url, state: 'live'});

    const created = await a.actions.createUpdate({deviceKeys: ['homie/one'], firmware: target});
    expect(created.error).toBeUndefined();
    expect(created.jobs).toHaveLength(1);
    const id = (created.jobs[0] as unknown as {id: string}).id;
    const state = (source: RemoteSource) => source.store.getSnapshot().jobs.jobs.find(j => j.id === id)?.state;
    await waitFor(() => state(b) === 'done', 'the job done in the other dashboard', 20_000);
    await waitFor(() => state(a) === 'done', 'the job done in the first', 5000);
    const ids = (source: RemoteSource) => source.store.getSnapshot().jobs.jobs.map(j => j.id);
    expect(ids(a)).toEqual(ids(b));
    expect(ids(a)).toEqual(engine.ota.list().map(j => j.id));
    await waitFor(() => b.store.getSnapshot().devices.devices.find(d => d.key === 'homie/one')?.fw.version === '1.1.0', 'the new version in the other dashboard');

    // a refusal comes back with the service's reason, as the local dashboard would show it
    const cancel = await b.actions.cancelJob(id);
    expect(cancel.ok).toBe(false);
    expect(cancel.message).toBe(engine.ota.cancel(id).message);
    const retried = await b.actions.retryJob('j-404');
    expect(retried).toEqual({ok: false, message: engine.ota.retry('j-404').message});

    await b.actions.notice('ui', 'warn', 'a line from the other dashboard');
    await waitFor(() => a.store.getSnapshot().log.some(e => e.message === 'a line from the other dashboard'), 'the notice in the first dashboard');

    a.store.focusDevice('homie/one');
    await waitFor(() => a.store.getSnapshot().focus?.history.length === 1, 'the focused device with its history', 5000);
    expect(a.store.getSnapshot().focus?.detail?.attributes.$homie).toBe('3.0.1');

    a.close();
    b.close();
    await waitFor(() => !hub.active, 'the store dropped after the last dashboard left');
  });

  it('every other action goes through the HTTP API: a rollout paused, resumed, cancelled and dismissed, a description, a refused delete, arm and disarm, pins, a forget', async () => {
    const {engine, url} = await served();
    const a = await attached(url);
    const created = await a.actions.createUpdate({deviceKeys: ['homie/one', 'homie/two'], firmware: target, rollout: {scope: 'the two relays', canary: true, maxFailures: 1}});
    const rollout = engine.ota.rollouts()[0]!;
    expect(rollout.scope).toBe('the two relays');
    expect(created.jobs).toHaveLength(2);
    const paused = await a.actions.setRolloutState(rollout.id, 'paused');
    expect(paused.ok).toBe(true);
    await waitFor(() => a.store.getSnapshot().jobs.rollouts[0]?.rollout.state === 'paused', 'the rollout paused in the dashboard');
    expect((await a.actions.setRolloutState(rollout.id, 'running')).ok).toBe(true);
    const cancelled = await a.actions.setRolloutState(rollout.id, 'cancelled');
    expect(cancelled.ok).toBe(true);
    await waitFor(() => engine.ota.rollout(rollout.id)?.endedAt, 'the rollout ended', 20_000);
    const dismissed = await a.actions.dismissRollout(rollout.id);
    expect(dismissed.ok, dismissed.message).toBe(true);
    await waitFor(() => a.store.getSnapshot().jobs.rollouts.length === 0, 'the rollout off the list');

    const described = await a.actions.setFirmwareDescription('relay', '1.1.0', 'kitchen relays');
    expect(described.ok, described.message).toBe(true);
    await waitFor(() => a.store.getSnapshot().firmware.rows.find(r => r.record.version === '1.1.0')?.record.description === 'kitchen relays', 'the description in the dashboard');
    expect(await a.actions.deleteFirmware('relay', '9.9.9')).toEqual({ok: false, message: expect.stringMatching(/^not deleted: .*9\.9\.9/)});

    // automatic rollouts and pins
    const armed = await a.actions.armPolicy('relay', {window: '02:00-05:00'});
    expect(armed).toEqual({ok: true, message: 'relay armed: new versions roll out automatically'});
    await waitFor(() => a.store.getSnapshot().policies.armed.some(p => p.name === 'relay'), 'the armed name in the dashboard');
    expect(await a.actions.disarmPolicy('relay')).toEqual({ok: true, message: 'relay disarmed'});
    expect((await a.actions.disarmPolicy('relay')).ok).toBe(false);
    const pinned = await a.actions.setPinned(['homie/one', 'homie/two'], true);
    expect(pinned).toEqual({ok: true, message: 'pinned 2 of 2 devices: left out of automatic rollouts'});
    await waitFor(() => a.store.getSnapshot().policies.pins.length === 2, 'the pins in the dashboard');
    expect(await a.actions.setPinned(['homie/one'], false)).toEqual({ok: true, message: 'unpinned one'});

    const forgot = await a.actions.forgetDevice('homie/two');
    expect(forgot.ok, forgot.message).toBe(true);
    await waitFor(() => a.store.getSnapshot().log.some(e => e.message.startsWith('forgetting homie/two')), 'the notice that it is being forgotten');
  });

  it('coalesces: a thousand log lines in a second arrive as at most about ten patches a second', async () => {
    const {engine, url} = await served();
    const counting = countEvents(url, 1500);
    await sleep(200);
    for (let i = 0; i < 50; i++) {
      for (let j = 0; j < 20; j++) engine.notice('test', 'info', `line ${i}.${j}`);
      await sleep(20);
    }
    const counts = await counting;
    expect(counts.snapshots).toBe(1);
    expect(counts.patches).toBeGreaterThan(3);
    // 1.3 s of changes at 10 rebuilds a second, plus the clock's own ticks
    expect(counts.patches).toBeLessThanOrEqual(16);
  });

  it.each(['plain', 'gzip'] as const)('a client that does not read holds the service to a bounded buffer, then resumes at the newest state (%s)', async encoding => {
    const maxBuffered = 64 * 1024;
    const gzip = encoding === 'gzip';
    const {engine, hub, url} = await served(maxBuffered);
    const fast = await connectRemote({url}, {intervalMs: 20, compress: gzip});
    sources.push(fast);
    const slow = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.get(`${url}/api/stream`, {headers: {Accept: 'text/event-stream', ...(gzip ? {'Accept-Encoding': 'gzip'} : {})}}, res => {
        res.pause();
        resolve(res);
      });
      req.on('error', reject);
    });
    sockets.push(slow.socket);
    expect(slow.headers['content-encoding']).toBe(gzip ? 'gzip' : undefined);
    await waitFor(() => hub.clients.length === 2 && hub.clients.every(c => c.written > 0), 'both clients served');

    // about 27 MB of log text that does not compress much, far more than the kernel's socket buffers hold
    let largestBuffered = 0;
    for (let round = 0; round < 90; round++) {
      for (let i = 0; i < 100; i++) engine.notice('test', 'info', `${round}.${i} ${crypto.randomBytes(2300).toString('base64')}`);
      await sleep(30);
      largestBuffered = Math.max(largestBuffered, ...hub.clients.map(c => c.buffered));
    }
    const last = engine.logger.recent().at(-1)!.seq;
    await waitFor(() => fast.store.getSnapshot().log.at(-1)?.seq === last, 'the fast client up to date', 10_000);
    const [fastStats, slowStats] = [...hub.clients].sort((x, y) => y.written - x.written);
    // the state itself (the log ring) is the largest single message the service may queue
    const source = createEngineSource(engine);
    const stateSize = JSON.stringify(streamState(source.store.getSnapshot())).length;
    source.store.dispose();
    expect(slowStats!.behind).toBe(true);
    // what it was sent is what the socket and the kernel took before it was held back (a few MB)
    expect(slowStats!.written).toBeLessThan(fastStats!.written / 2);
    expect(largestBuffered).toBeLessThanOrEqual(maxBuffered + stateSize);

    // reading again, it gets one patch from what it holds to the newest state
    let received = '';
    const body = gzip ? slow.pipe(zlib.createGunzip()) : slow;
    body.setEncoding('utf8');
    body.on('data', (chunk: string) => (received += chunk));
    slow.resume();
    await waitFor(() => received.includes(`"seq":${last},`), 'the newest line reaching the slow client', 10_000);
  });
});
