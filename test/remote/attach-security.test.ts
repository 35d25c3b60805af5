import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {RemoteError} from '../../src/remote/http-client.js';
import {connectRemote} from '../../src/remote/remote-source.js';
import {attachRoutes} from '../../src/remote/stream-routes.js';
import {engineFixture} from '../helpers/engine-fixture.js';
import {ptyContext, spawnCli} from '../helpers/pty.js';

const TLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tls');
const tls = (name: string) => path.join(TLS, name);

describe('attaching to a service on HTTPS', () => {
  const world = engineFixture();
  const context = ptyContext();

  it('refuses a certificate it does not trust, saying what to do, and attaches once the CA is given (NODE_EXTRA_CA_CERTS)', async () => {
    const {engine} = await world.start({ini: ['[global]', `HTTP_TLS_CERT = ${tls('server.pem')}`, `HTTP_TLS_KEY = ${tls('server.key')}`]});
    engine.http.register(attachRoutes(engine, {version: 'test'}).routes);
    const url = `https://localhost:${engine.http.boundPort}`;
    const refused = await connectRemote({url}).then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(RemoteError);
    expect((refused as RemoteError).kind).toBe('tls');
    expect((refused as RemoteError).message).toMatch(new RegExp(`^TLS problem with ${url} \\(\\w+\\): check the URL and the service's certificate \\(HTTP_TLS_CERT\\); for a self-signed or private one, point NODE_EXTRA_CA_CERTS at it$`));
    // plain HTTP to the HTTPS port: said as such
    const plain = await connectRemote({url: url.replace('https:', 'http:')}).then(() => null, (error: unknown) => error as Error);
    expect(plain?.message).toBe(`${url.replace('https:', 'http:')} closed the connection (ECONNRESET); if the service uses HTTPS, attach to https://…`);

    const app = spawnCli(['attach', url], {cwd: context.dir, env: {NODE_EXTRA_CA_CERTS: tls('ca.pem')}});
    context.app = app;
    await app.waitForText(`attached to ${url}`, 15_000);
    app.press('q');
    expect(await app.exitCode).toBe(0);
    context.app = null;
  }, 40_000);
});

describe('the attach routes behind basic auth', () => {
  const world = engineFixture();

  it('ask for the login like the other management routes: stream, focus and notices', async () => {
    const {engine} = await world.start({ini: ['[global]', 'HTTP_USER = admin', 'HTTP_PASSWORD = pw']});
    engine.http.register(attachRoutes(engine, {version: 'test'}).routes);
    const base = `http://127.0.0.1:${engine.http.boundPort}`;
    const login = {Authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}`};
    const asks = [
      ['GET', '/api/stream'], ['GET', '/api/focus/homie%2Fkitchen'], ['POST', '/api/notices'],
    ] as const;
    for (const [method, route] of asks) {
      const refused = await fetch(`${base}${route}`, {method, body: method === 'POST' ? '{}' : undefined});
      expect(refused.status, `${method} ${route}`).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Basic/);
    }
    const stream = new AbortController();
    const answer = await fetch(`${base}/api/stream`, {headers: login, signal: stream.signal});
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/event-stream/);
    stream.abort();
    const notice = await fetch(`${base}/api/notices`, {method: 'POST', headers: {...login, 'Content-Type': 'application/json'}, body: JSON.stringify({area: 'ui', level: 'loud', text: 'x'})});
    expect(notice.status).toBe(400);
    expect(await notice.json()).toEqual({error: 'area and text are strings, level is info, warn or error'});
  });
});
