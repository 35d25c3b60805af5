import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {afterEach, expect, it} from 'vitest';
import {connectRemote, type RemoteSource} from '../../src/remote/remote-source.js';
import {diff} from '../../src/remote/stream-codec.js';
import {createEngineSource} from '../../src/store/engine-source.js';
import {streamState} from '../../src/remote/stream-state.js';
import {otaWorld, type OtaWorld} from '../ota/helpers.js';
import {waitFor} from '../helpers/wait-for.js';

/**
 * A service that answers the first snapshot and its next patches in one write (a busy service, a
 * large snapshot read in one go): the attached dashboard must start from the patched state. Starting
 * from the bare snapshot loses what the patches said, and later patches never repeat it (seen as a
 * header counting 8 devices over a list of 20).
 */

let world: OtaWorld | null = null;
let server: http.Server | null = null;
let source: RemoteSource | null = null;
afterEach(async () => {
  source?.close();
  server?.closeAllConnections();
  await new Promise(resolve => server ? server.close(resolve) : resolve(null));
  await world?.close();
  world = server = source = null;
});

it('applies patches that arrive in the same read as the first snapshot', async () => {
  world = await otaWorld({specs: [{id: 'one', generation: 'v3', fw: {name: 'relay', version: '1.0.0'}}]});
  const engineStore = createEngineSource(world.engine, {intervalMs: 10}).store;
  const before = streamState(engineStore.getSnapshot());
  const after = {...before, devices: {...before.devices, total: before.devices.total + 7}, otaUrl: 'http://changed.example/ota'};
  const patch = diff(before, after);
  expect(patch).not.toBeNull();
  engineStore.dispose();

  server = http.createServer((_req, res) => {
    res.writeHead(200, {'Content-Type': 'text/event-stream'});
    res.write(`event: snapshot\ndata: ${JSON.stringify({version: 'test', state: before})}\n\nevent: patch\ndata: ${JSON.stringify(patch)}\n\n`);
  });
  await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
  source = await connectRemote({url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`}, {intervalMs: 10});
  await waitFor(() => source!.store.getSnapshot().otaUrl === 'http://changed.example/ota', 'the patched state');
  expect(source.store.getSnapshot().devices.total).toBe(before.devices.total + 7);
});
