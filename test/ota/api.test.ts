import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import mqtt from 'mqtt';
import {afterEach, describe, expect, it} from 'vitest';
import {finished, otaWorld, type OtaWorld} from './helpers.js';
import {waitFor} from '../helpers/wait-for.js';

let world: OtaWorld | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

const relay = {name: 'relay', version: '1.0.0'};

describe('jobs over HTTP and MQTT', () => {
  it('creates, lists and refuses to cancel finished jobs; publishes each job change on homie-ota/jobs/<id>', async () => {
    world = await otaWorld({specs: [{id: 'relay-a', generation: 'v3', fw: relay}]});
    const {engine} = world;
    const base = `http://127.0.0.1:${engine.http.boundPort}`;
    const events: Array<{state: string; id: string}> = [];
    const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${engine.broker!.boundPort}`);
    watcher.on('message', (_t, p) => events.push(JSON.parse(p.toString())));
    await watcher.subscribeAsync('homie-ota/jobs/+');

    const created = await fetch(`${base}/api/jobs`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({device: 'relay-a', firmware: 'relay@1.1.0'})});
    expect(created.status).toBe(201);
    const body = await created.json() as {jobs: Array<{id: string; state: string; method: string}>};
    expect(body.jobs[0]).toMatchObject({state: 'queued', method: 'mqtt-push'});
    const id = body.jobs[0]!.id;
    await finished(engine, id);
    const list = await (await fetch(`${base}/api/jobs`)).json() as {jobs: Array<{id: string; state: string; timeline: unknown[]}>};
    expect(list.jobs.find(j => j.id === id)).toMatchObject({state: 'done'});
    expect((await fetch(`${base}/api/jobs/${id}`, {method: 'DELETE'})).status).toBe(409);
    expect((await fetch(`${base}/api/jobs/j-999`, {method: 'DELETE'})).status).toBe(404);
    await waitFor(() => events.some(e => e.id === id && e.state === 'done'), 'the done event');
    expect(events.filter(e => e.id === id).map(e => e.state)).toEqual(expect.arrayContaining(['queued', 'sending', 'flashing', 'rebooting', 'done']));
    await watcher.endAsync();
  });

  it("keeps the original's POST /update form working, with its messages", async () => {
    world = await otaWorld({specs: [{id: 'relay-b', generation: 'v3', fw: relay}]});
    const {engine} = world;
    const update = `http://127.0.0.1:${engine.http.boundPort}/update`;
    // the real curl, as the original's users scripted it (multipart, like its web form)
    const curl = async (...fields: string[]) => (await promisify(execFile)('curl', ['-s', ...fields.flatMap(f => ['-F', f]), update], {encoding: 'utf8'})).stdout.trim();
    expect(await curl('device=-', 'firmware=relay@1.1.0')).toBe('OTA request aborted; no device chosen');
    expect(await curl('device=relay-b', 'firmware=-')).toBe('OTA request aborted; no firmware chosen');
    expect(await curl('device=nobody', 'firmware=relay@1.1.0')).toBe('Unable to find nobody in device list');
    expect(await curl('device=relay-b', 'firmware=relay@9.9.9')).toMatch(/^Unable to find the firmware in folder/);
    const ok = await curl('device=relay-b', 'firmware=relay@1.1.0');
    expect(ok).toMatch(/^OTA request queued for device relay-b for update to relay@1\.1\.0 \(job j-\d+, MQTT push\)$/);
    await finished(engine, /job (j-\d+)/.exec(ok)![1]!);
    // urlencoded works as well
    const form = await fetch(update, {method: 'POST', body: new URLSearchParams({device: 'relay-b', firmware: 'relay@1.1.0'})});
    expect(await form.text()).toMatch(/^OTA request for device relay-b not queued: already runs (this image|relay 1\.1\.0)/);
  });

  it('starts a rollout from a filter: canary first, then the rest', async () => {
    world = await otaWorld({specs: ['f1', 'f2', 'f3'].map(id => ({id, generation: 'v3' as const, fw: relay}))});
    const {engine} = world;
    const res = await fetch(`http://127.0.0.1:${engine.http.boundPort}/api/jobs`, {
      method: 'POST', headers: {'content-type': 'application/json'},
      body: JSON.stringify({filter: 'fw:relay', firmware: 'relay@1.1.0', maxFailures: 1}),
    });
    expect(res.status).toBe(201);
    const body = await res.json() as {jobs: Array<{id: string}>; rollout: {id: string; canaryJobId: string; scope: string}};
    expect(body.jobs).toHaveLength(3);
    expect(body.rollout).toMatchObject({canaryJobId: body.jobs[0]!.id, scope: 'devices matching "fw:relay"'});
    const jobs = await Promise.all(body.jobs.map(j => finished(engine, j.id)));
    expect(jobs.every(j => j.state === 'done')).toBe(true);
    // the others started only after the canary was done
    const canaryDone = jobs[0]!.finishedAt!;
    for (const j of jobs.slice(1)) expect(j.sentAt!).toBeGreaterThanOrEqual(canaryDone);
    expect(engine.ota.rollouts()[0]!.state).toBe('done');
  });

  it('refuses changes in read-only mode', async () => {
    world = await otaWorld({specs: [{id: 'relay-c', generation: 'v3', fw: relay}], config: {readonly: true}});
    const res = await fetch(`http://127.0.0.1:${world.engine.http.boundPort}/api/jobs`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({device: 'relay-c', firmware: 'relay@1.1.0'})});
    expect(res.status).toBe(403);
    expect(world.engine.ota.list()).toEqual([]);
  });
});
