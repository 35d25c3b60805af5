import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import {describe, expect, it} from 'vitest';
import {engineFixture} from '../../helpers/engine-fixture.js';
import {deviceTopics, RawPublisher} from '../../helpers/homie-publisher.js';
import {bigJobsFile} from '../../helpers/state-files.js';
import {sleep, waitFor} from '../../helpers/wait-for.js';
import {writeFirmware} from '../../ota/helpers.js';

/**
 * A --readonly viewer started beside the instance that owns the folder (it takes no lock: it is meant
 * to run beside). It used to push the waiting jobs it loaded from jobs.json, and to write its own
 * copies of jobs.json and inventory.json over the owner's when it stopped.
 */
describe('a --readonly viewer beside the owner', () => {
  const world = engineFixture();

  it('sends nothing, and writes nothing into the folder', async () => {
    const dir = world.dir;
    const root = path.join(dir, 'firmwares');
    writeFirmware(dir, 'relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 60_000});
    // a waiting job for a device that is ready, and more finished jobs than are kept (a trim would back up and rewrite)
    const jobs = JSON.parse(bigJobsFile({finished: 600, midTransfer: 0, queued: 1})) as {jobs: Array<Record<string, unknown>>};
    const waiting = jobs.jobs.at(-1)!;
    Object.assign(waiting, {deviceKey: 'homie/kitchen', deviceId: 'kitchen'});
    const before = JSON.stringify(jobs);
    fs.writeFileSync(path.join(root, 'jobs.json'), before);
    const broker = await world.aedes();
    const publisher = await RawPublisher.connect(broker.port);
    for (const [topic, payload] of deviceTopics('v3', 'homie', 'kitchen', {fw: 'relay', version: '1.0.0'})) await publisher.publish(topic, payload);
    await publisher.close();
    const watcher = await mqtt.connectAsync(broker.url);
    const pushes: string[] = [];
    watcher.on('message', topic => pushes.push(topic));
    await watcher.subscribeAsync('homie/kitchen/$implementation/ota/firmware/#');
    const files = () => fs.readdirSync(root).filter(f => f !== 'firmware-cache.json').sort();
    const listed = files();

    const {engine: e} = await world.start({overrides: {mqtt: broker.url, readonly: true}});
    await waitFor(() => e.inventory.discoveryStatus.completedAt && e.inventory.get('homie/kitchen')?.state === 'ready', 'the device ready in the viewer');
    await sleep(2500);
    expect(pushes).toEqual([]);
    expect(e.ota.get(waiting.id as string)?.state).toBe('waiting');
    await e.stop();
    await watcher.endAsync();
    expect(fs.readFileSync(path.join(root, 'jobs.json'), 'utf8')).toBe(before);
    expect(files()).toEqual(listed);
  }, 30_000);
});
