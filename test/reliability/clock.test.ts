import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {etaSeconds, isFinal} from '../../src/engine/ota/job.js';
import {jobJson} from '../../src/engine/ota/jobs-api.js';
import {buildJobsSlice} from '../../src/store/jobs-slice.js';
import {engineFixture} from '../helpers/engine-fixture.js';
import {deviceTopics, RawPublisher} from '../helpers/homie-publisher.js';
import {writeFirmware} from '../ota/helpers.js';

/**
 * The wall clock jumps (a Raspberry Pi without a real-time clock boots with a stale time and NTP
 * moves it by hours; someone sets the date by hand). The engine's clock is driven here through
 * `options.now`; the waits below use the monotonic clock, because Date.now is what jumps in real life.
 * Nothing may time out because of a jump, nothing may wait an extra hour, and no negative duration or
 * ETA may be shown.
 */
const HOUR = 3_600_000;

class JumpingClock {
  offset = 0;
  readonly now = () => Date.now() + this.offset;
  jump(ms: number): void {
    this.offset += ms;
  }
}

async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs: number): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 25));
  }
}

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

const world = engineFixture();

describe('the clock jumping an hour forward and back', () => {
  it('OTA jobs neither time out because of it nor wait an hour longer; no negative durations or ETAs', async () => {
    writeFirmware(world.dir, 'relay-1.1.0.bin', {name: 'relay', version: '1.1.0', size: 120_000});
    const clock = new JumpingClock();
    const e = world.create({overrides: {concurrency: '4', prefix: 'homie,devices'}, options: {now: clock.now}});
    e.ota.timings = {pushAnswer: 8000, progressStall: 4000, reboot: 10_000, v1Request: 10_000, verifyGrace: 2000, esp32Recheck: 1500};
    await e.start();
    await until(() => e.firmware.list().length === 1, 'the store', 10_000);
    const fleet = world.fleet({
      url: `mqtt://127.0.0.1:${e.broker!.boundPort}`,
      specs: [
        {id: 'a', generation: 'v3', fw: 'relay@1.0.0'},
        {id: 'b', generation: 'v3', fw: 'relay@1.0.0', faults: {stallAt: 40}},
        {id: 'c', generation: 'v3', fw: 'relay@1.0.0', chip: 'esp8266'},
        {id: 'd', generation: 'v1', fw: 'relay@1.0.0'},
      ],
      // a transfer takes about 3 s, so the jumps land in the middle of them
      flashSpeed: 40_000, rebootDelay: 300,
      otaHttpUrl: `http://127.0.0.1:${e.http.boundPort}${e.config.http.endpoint}`,
    });
    await fleet.waitAllAdvertised(10_000);
    // listed with what an update needs: the version, and (homie-esp8266 2.x/3.x) $implementation/ota/enabled
    const updatable = (key: string): boolean => {
      const device = e.inventory.get(key);
      return Boolean(device?.fw.version && (device.homie.startsWith('1') || device.otaEnabled !== undefined));
    };
    for (const d of fleet.devices) await until(() => updatable(d.key) && e.inventory.discoveryStatus.completedAt, `${d.key} listed`, 10_000);
    const created = e.ota.create({deviceKeys: fleet.devices.map(d => d.key), firmware: {name: 'relay', version: '1.1.0'}});
    expect(created.jobs).toHaveLength(4);
    await until(() => e.ota.list().filter(j => j.state === 'flashing').length >= 2, 'transfers under way', 10_000);

    const negatives: string[] = [];
    const check = () => {
      for (const job of e.ota.list()) {
        const json = jobJson(job) as {progress: {etaSeconds: number | null} | null};
        const eta = json.progress?.etaSeconds;
        if (eta !== null && eta !== undefined && eta < 0) negatives.push(`${job.id} ETA ${eta}`);
        if (!isFinal(job) && (etaSeconds(job) ?? 0) > HOUR / 1000) negatives.push(`${job.id} ETA over an hour: ${etaSeconds(job)}`);
      }
      const slice = buildJobsSlice(e, undefined, e.now());
      if (slice.etaSeconds !== undefined && (slice.etaSeconds < 0 || slice.etaSeconds > HOUR / 1000)) negatives.push(`queue ETA ${slice.etaSeconds}`);
      const uptime = e.health().uptime as number;
      if (uptime < 0) negatives.push(`uptime ${uptime}`);
    };
    const sampler = setInterval(check, 100);
    try {
      clock.jump(HOUR);
      await pause(1200);
      clock.jump(-3 * HOUR); // net: two hours back
      const stalledAt = performance.now();
      const b = await until(() => e.ota.list().find(j => j.deviceId === 'b' && isFinal(j)), 'the stalled job to fail', 20_000);
      const waited = performance.now() - stalledAt;
      expect(b.state).toBe('failed');
      expect(b.error).toMatch(/stalled/);
      expect(waited).toBeLessThan(15_000);
      await until(() => e.ota.list().every(isFinal), 'every job final', 30_000);
    } finally {
      clearInterval(sampler);
    }
    const byDevice = Object.fromEntries(e.ota.list().map(j => [j.deviceId, j]));
    for (const id of ['a', 'c', 'd']) expect(byDevice[id]!.state, `${id}: ${byDevice[id]!.error}`).toBe('done');
    for (const d of fleet.devices) {
      for (const entry of e.ota.historyFor(d.key)) expect(entry.durationMs ?? 0, `${d.id} history duration`).toBeGreaterThanOrEqual(0);
    }
    expect(negatives).toEqual([]);
    expect(e.logger.recent().map(l => l.message).join('\n')).toMatch(/clock jumped forward by 1h/);
    expect(e.logger.recent().map(l => l.message).join('\n')).toMatch(/clock jumped back by 3h/);
  });

  it('the inventory keeps following the broker and keeps saving after the clock goes back', async () => {
    const broker = await world.aedes();
    const clock = new JumpingClock();
    const {engine: e} = await world.start({overrides: {mqtt: broker.url}, options: {now: clock.now}});
    const publisher = await RawPublisher.connect(broker.port);
    for (const [topic, payload] of deviceTopics('v3', 'homie', 'x')) await publisher.publish(topic, payload);
    await publisher.flush();
    await until(() => e.inventory.get('homie/x')?.state === 'ready' && e.inventory.discoveryStatus.completedAt, 'x listed', 10_000);
    const file = path.join(e.config.firmwareRoot, 'inventory.json');
    await publisher.publish('homie/x/$name', 'before the jump');
    await publisher.flush();
    await until(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('before the jump'), 'a save', 10_000);

    clock.jump(-HOUR);
    // a change after the jump is saved within seconds, not an hour later
    await publisher.publish('homie/x/$name', 'after the jump');
    await publisher.flush();
    await until(() => fs.readFileSync(file, 'utf8').includes('after the jump'), 'the save after the jump', 8000);
    // the device dies while homie-ota is away from the broker: the retained "lost" it finds on its
    // return must count, though its last live "ready" is an hour "in the future" now
    const clientId = e.config.mqtt.clientId;
    await until(() => (broker.aedes as unknown as {clients: Record<string, unknown>}).clients[clientId], 'our client at the broker', 5000);
    (broker.aedes as unknown as {clients: Record<string, {close(): void}>}).clients[clientId]!.close();
    await publisher.publish('homie/x/$state', 'lost');
    await publisher.flush();
    await until(() => e.inventory.get('homie/x')?.state === 'lost', 'the retained lost after the reconnect', 10_000);
    expect(e.health().uptime as number).toBeGreaterThanOrEqual(0);
    await publisher.close();
  });

  it('a dropped file still settles after a jump back, and is not judged early after a jump forward', async () => {
    const clock = new JumpingClock();
    const e = world.create({options: {now: clock.now}});
    e.firmware.tune({stableMs: 800, rescanMs: 300, fsWatch: false});
    await e.start();
    const root = e.config.firmwareRoot;
    // back: a file seen while copying, then the clock goes back an hour
    fs.writeFileSync(path.join(root, 'back.bin'), buildFirmwareImage({name: 'back', version: '1.0.0'}));
    await until(() => e.firmware.drops().some(d => d.file === 'back.bin'), 'the drop seen', 5000);
    clock.jump(-HOUR);
    await until(() => e.firmware.find('back', '1.0.0'), 'back.bin filed', 8000);
    // forward: half a file, the clock jumps an hour ahead, the copy pauses for a moment
    const image = buildFirmwareImage({name: 'fwd', version: '1.0.0', size: 80_000});
    const partial = path.join(root, 'fwd.bin');
    fs.writeFileSync(partial, image.subarray(0, 30_000));
    await until(() => e.firmware.drops().some(d => d.file === 'fwd.bin'), 'the partial drop seen', 5000);
    clock.jump(HOUR);
    await pause(1500);
    expect(fs.existsSync(partial), 'the half-copied file was judged').toBe(true);
    expect(fs.existsSync(path.join(root, 'rejected', 'fwd.bin'))).toBe(false);
    fs.appendFileSync(partial, image.subarray(30_000));
    await until(() => e.firmware.find('fwd', '1.0.0'), 'fwd.bin filed once complete', 8000);
  });
});
