import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {engineFixture} from '../helpers/engine-fixture.js';
import {waitFor} from '../helpers/wait-for.js';

const fixture = engineFixture();
const auth = {authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}`};

async function call(port: number, method: string, route: string, body?: unknown, headers: Record<string, string> = auth) {
  const res = await fetch(`http://127.0.0.1:${port}${route}`, {method, headers: {...headers, ...(body ? {'content-type': 'application/json'} : {})}, ...(body ? {body: JSON.stringify(body)} : {})});
  return {status: res.status, json: await res.json().catch(() => null) as Record<string, unknown> | null};
}

describe('GET/PUT /api/policies and the pin routes', () => {
  it('are behind the management basic auth, check every field with a 400 naming it, and persist atomically', async () => {
    const {engine, dir} = await fixture.start({ini: ['[global]', 'HTTP_USER = admin', 'HTTP_PASSWORD = s3cret']});
    const port = engine.http.boundPort;
    expect((await call(port, 'GET', '/api/policies', undefined, {})).status).toBe(401);
    expect(await call(port, 'GET', '/api/policies')).toEqual({status: 200, json: {policies: {}, pins: []}});
    expect(await call(port, 'PUT', '/api/policies', {policies: {relay: {maxFailures: 'two'}}})).toEqual({status: 400, json: {error: 'policies.relay.maxFailures: expected a whole number from 1 to 10000'}});
    expect(await call(port, 'PUT', '/api/policies', {policies: {relay: {window: '25:00-03:00'}}})).toMatchObject({status: 400, json: {error: expect.stringMatching(/^policies\.relay\.window: "25:00-03:00" is not a window/)}});
    expect(await call(port, 'PUT', '/api/policies', {relay: {}})).toMatchObject({status: 400, json: {error: expect.stringMatching(/^policies: expected an object/)}});
    expect(engine.policies.armed()).toEqual([]);
    const put = await call(port, 'PUT', '/api/policies', {policies: {relay: {window: '22:00-02:00', onlineOnly: true}, sensor: {}}});
    expect(put.status).toBe(200);
    expect(put.json!.policies).toMatchObject({relay: {window: '22:00-02:00', onlineOnly: true, canary: true}, sensor: {window: null}});
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'firmwares', 'policies.json'), 'utf8')) as {policies: Record<string, {armed: boolean}>};
    expect(Object.keys(saved.policies)).toEqual(['relay', 'sensor']);
    // a name left out is disarmed; one name is changed on its own
    expect((await call(port, 'PUT', '/api/policies', {policies: {relay: {}}})).json!.policies).not.toHaveProperty('sensor');
    expect((await call(port, 'PUT', '/api/policies/relay', {concurrency: 5})).json!.policies).toMatchObject({relay: {concurrency: 5, window: '22:00-02:00'}});
    // a bare PUT arms nothing: the settings are said in the body, {} for the defaults
    expect(await call(port, 'PUT', '/api/policies/inventory.json')).toMatchObject({status: 400, json: {error: expect.stringMatching(/^send the rollout settings as JSON/)}});
    expect((await call(port, 'GET', '/api/policies')).json!.policies).not.toHaveProperty(['inventory.json']);
    expect((await call(port, 'DELETE', '/api/policies/relay')).status).toBe(200);
    expect((await call(port, 'DELETE', '/api/policies/relay')).status).toBe(404);
    expect(await call(port, 'POST', '/api/devices/nobody/pin')).toEqual({status: 404, json: {error: 'no device nobody in the inventory'}});

    // an upload of a newer version of an armed name is looked at, and the answer says how it arrived
    expect(engine.policies.arm('relay')).toMatchObject({ok: true});
    const notices: string[] = [];
    engine.bus.on('notice', n => notices.push(n.text));
    const form = new FormData();
    form.append('upload', new Blob([buildFirmwareImage({name: 'relay', version: '1.0.2', size: 30_000})]), 'sketch.ino.d1_mini.bin');
    const uploaded = await fetch(`http://127.0.0.1:${port}/upload`, {method: 'POST', headers: auth, body: form});
    expect(uploaded.status).toBe(200);
    await waitFor(() => notices.find(n => n.startsWith('relay-1.0.2.bin (upload): automatic rollout of relay has no device to update')), 'the policy to look at the upload');
    expect(engine.policies.policy('relay')!.handled).toBe('1.0.2');
  });

  it('answer 403 in --readonly, and change nothing', async () => {
    const {engine} = await fixture.start({overrides: {readonly: true}});
    const port = engine.http.boundPort;
    expect(await call(port, 'PUT', '/api/policies', {policies: {relay: {}}}, {})).toEqual({status: 403, json: {error: 'read-only mode (--readonly): automatic rollouts and pins cannot be changed'}});
    expect((await call(port, 'POST', '/api/devices/x/pin', undefined, {})).status).toBe(403);
    expect(engine.policies.arm('relay')).toEqual({ok: false, message: 'read-only mode (--readonly): automatic rollouts and pins cannot be changed'});
  });
});
