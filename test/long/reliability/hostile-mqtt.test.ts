import path from 'node:path';
import fs from 'node:fs';
import {afterEach, describe, expect, it} from 'vitest';
import {startFleet, type DeviceSpec, type Fleet} from '../../../src/sim/index.js';
import {HostileMqtt, randomBytes} from '../../helpers/hostile-mqtt.js';
import {rawGet} from '../../helpers/http.js';
import {startHomieOta, type HomieOtaProcess} from '../../helpers/homie-ota-process.js';
import {runMosquittoTests, startMosquitto, type Mosquitto} from '../../helpers/mosquitto.js';
import {devices, report, stopParts, waitInventoryMatches} from '../../helpers/reliability.js';
import {tempDir} from '../../helpers/tmp.js';
import {sleep, waitFor} from '../../helpers/wait-for.js';

/**
 * More than a thousand hostile MQTT messages under the prefixes — random bytes, payloads of several
 * MB, wrong levels, retained deletes, $broadcast, odd and prototype-named ids, non-UTF-8 topics and
 * payloads, fake OTA statuses — while a simulated fleet runs. Three "victim" devices get junk on
 * their own topics; every other device's record must stay exactly as the device says, homie-ota must
 * stay up and connected, and its memory must stay bounded.
 */
type Message = readonly [topic: string | Buffer, payload: string | Buffer, retain: boolean];

const VICTIMS = ['sim-01', 'sim-02', 'sim-03'];
const ODD_IDS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', '..', '.', '...', 'a b', ' lead', 'trail ', 'UPPER', 'dot.ted',
  'ü-ñ-€', '🔥', '\u202eevil', 'x'.repeat(127), 'y'.repeat(129), 'z'.repeat(1000), '-', '_', 'null', 'undefined', '0', 'NaN', '$id', 'a\\b', '%2e%2e', '<script>'];

function* hostileMessages(): Generator<[category: string, message: Message]> {
  const bytes = (seed: string, n: number) => randomBytes(seed, n);
  const junkLength = (i: number) => [0, 1, 7, 100, 1024, 1025, 4096, 65_536][i % 8]!;
  // 1. random bytes into attributes of devices that do not exist
  for (let i = 0; i < 200; i++) {
    const attribute = ['$state', '$homie', '$online', '$name', '$fw/version', '$stats/uptime', '$implementation/ota/enabled', 'node/prop'][i % 8];
    yield ['random bytes, unknown devices', [`homie/rnd-${i % 40}/${attribute}`, bytes(`r${i}`, junkLength(i)), i % 3 !== 0]];
  }
  // 2. junk into the victims' own topics
  for (let i = 0; i < 120; i++) {
    const victim = VICTIMS[i % VICTIMS.length]!;
    const attribute = ['$name', '$fw/version', '$fw/name', '$localip', '$mac', '$stats/signal', '$stats/interval', 'light/on', '$nodes', '$implementation/config'][i % 10];
    yield ['junk on victim devices', [`homie/${victim}/${attribute}`, bytes(`v${i}`, junkLength(i)), i % 2 === 0]];
  }
  // 3. huge payloads, up to 4 MB
  for (let i = 0; i < 12; i++) {
    const size = [1, 2, 4][i % 3]! * 1024 * 1024;
    const target = ['homie/huge-1/$state', 'homie/huge-2/$homie', 'homie/5/huge-3/$description', `homie/${VICTIMS[0]}/$implementation/config`, 'devices/huge-4/$online', 'homie/huge-1/node/value'][i % 6]!;
    yield ['payloads of 1–4 MB', [target, Buffer.alloc(size, 0x41 + i), i % 2 === 0]];
  }
  // 4. wrong levels: too few, too many, empty ones
  const levels = ['homie', 'homie/', 'homie//', 'homie//$state', '/homie/x/$state', 'homie/x//$state', 'homie/x/$state/', 'homie/x/a/b/c/d/e/f/g/h',
    'homie/x/$fw/name/extra/levels', 'homie/x/$', 'homie/x/$$', 'devices', 'devices/', 'devices/y', 'homie/5', 'homie/5/', 'homie/5//$state', 'homie/5/5/5/5'];
  for (let i = 0; i < 108; i++) yield ['wrong levels', [levels[i % levels.length]!, i % 4 === 0 ? '' : `lvl-${i}`, i % 2 === 0]];
  // 5. retained deletes (zero-length) for known, unknown and victim devices
  for (let i = 0; i < 100; i++) {
    const target = [`homie/rnd-${i % 40}/$state`, `homie/nobody-${i}/$homie`, `homie/${VICTIMS[i % 3]}/$stats/uptime`, `homie/${VICTIMS[i % 3]}/light/on`, `devices/ghost-${i}/$online`][i % 5]!;
    yield ['retained deletes', [target, Buffer.alloc(0), true]];
  }
  // 6. $broadcast, every form
  for (let i = 0; i < 50; i++) {
    yield ['$broadcast', [[`homie/$broadcast/alert`, `homie/$broadcast/${i}/deep/er`, `homie/5/$broadcast/x`, `devices/$broadcast/y`, `homie/$broadcast`][i % 5]!, bytes(`b${i}`, 64), i % 2 === 0]];
  }
  // 7. odd ids, including names of Object.prototype members
  for (let i = 0; i < ODD_IDS.length * 6; i++) {
    const id = ODD_IDS[i % ODD_IDS.length]!;
    const attribute = ['$state', '$homie', '$name', '$fw/name', '__proto__', 'constructor/prototype'][Math.floor(i / ODD_IDS.length)]!;
    yield ['odd ids', [`homie/${id}/${attribute}`, ['ready', '3.0.1', '{"__proto__":{"polluted":1}}', 'fw', 'x', 'y'][Math.floor(i / ODD_IDS.length)]!, true]];
  }
  // 8. topics the broker must refuse (invalid UTF-8, wildcards, NUL) and non-UTF-8 payloads
  for (let i = 0; i < 40; i++) {
    const topics = [Buffer.concat([Buffer.from('homie/'), Buffer.from([0xff, 0xfe]), Buffer.from('/$state')]), Buffer.from('homie/+/$state'), Buffer.from('homie/#'),
      Buffer.from('homie/x\u0000y/$state'), Buffer.concat([Buffer.from('homie/bad-'), Buffer.from([0xc3]), Buffer.from('/$name')])];
    yield ['topics a broker must refuse', [topics[i % topics.length]!, 'ready', true]];
  }
  for (let i = 0; i < 80; i++) {
    yield ['non-UTF-8 payloads', [`homie/latin-${i % 10}/${['$state', '$name', '$fw/name', '$fw/version'][i % 4]}`, Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, i]), true]];
  }
  // 9. Homie 5 documents that are not what they claim
  const docs = ['{', '[]', 'null', '"x"', '{"homie":"5.0","nodes":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}', '{"homie":"5.0","version":1,"nodes":{"n":{"properties":{"p":{"datatype":"integer","format":"9:1"}}}}}',
    `{"homie":"5.0","nodes":{${Array.from({length: 3000}, (_, k) => `"n${k}":{}`).join(',')}}}`, '{"homie":"5.0","children":["a","a","a"],"root":"itself","parent":"itself"}', '{"__proto__":{"admin":true},"homie":"5.0"}'];
  for (let i = 0; i < 54; i++) {
    yield ['bad Homie 5 documents', [i % 2 === 0 ? `homie/5/doc-${i % 9}/$description` : `homie/5/doc-${i % 9}/$state`, i % 2 === 0 ? docs[i % docs.length]! : ['ready', 'init', '\u0000', ''][i % 4]!, true]];
  }
  // 10. numbers and flags that are not
  const values = ['-1', 'NaN', 'Infinity', '1e309', '0x10', '', ' ', '99999999999999999999999', '-0', 'true', 'maybe', '1.2.3', '💥'];
  for (let i = 0; i < 104; i++) {
    const attribute = ['$stats/interval', '$stats/uptime', '$stats/signal', '$homie', '$implementation/ota/enabled', '$fw/checksum', '$uptime', '$signal'][i % 8];
    yield ['numbers and flags that are not', [`homie/typed-${i % 13}/${attribute}`, values[i % values.length]!, true]];
  }
  // 11. fake OTA statuses for devices without a job
  for (let i = 0; i < 50; i++) {
    yield ['fake OTA statuses', [`homie/${VICTIMS[i % 3]}/$implementation/ota/status`, ['200', '202', '206 999999999/1', '206 -1/0', '400 BAD_FIRMWARE', '500 INTERNAL_ERROR 99', '304', '999', 'x'.repeat(5000)][i % 9]!, i % 2 === 0]];
  }
  // 12. homie-ota's own topics, and a firmware push to nobody
  for (let i = 0; i < 24; i++) yield ['homie-ota\'s own topics', [['homie-ota/status', 'homie-ota/jobs/j-1', 'homie-ota/jobs/../../x', 'homie-ota'][i % 4]!, bytes(`o${i}`, 200), i % 2 === 0]];
  for (let i = 0; i < 6; i++) yield ['firmware pushes to nobody', [`homie/nobody/$implementation/ota/firmware/${'a'.repeat(32)}`, Buffer.alloc(1024 * 1024, 0xe9), false]];
}

let broker: Mosquitto | null = null;
let fleet: Fleet | null = null;
let proc: HomieOtaProcess | null = null;
let cleanup: (() => void) | null = null;
afterEach(async () => {
  await stopParts({fleet, proc, broker, cleanup});
  fleet = proc = broker = cleanup = null;
});

/** What must not change on a device nobody attacked (stats move on their own). */
function stable(record: Record<string, unknown>): string {
  const {uptime: _u, signal: _s, lastSeen: _l, otaStatus: _o, ...rest} = record;
  return JSON.stringify(rest);
}

describe.runIf(runMosquittoTests)('hostile MQTT input under the prefixes', () => {
  it('takes over a thousand hostile messages: the fleet untouched, homie-ota up, memory bounded', async () => {
    const tmp = tempDir('homie-ota-hostile-');
    cleanup = tmp.cleanup;
    broker = await startMosquitto();
    const specs: DeviceSpec[] = Array.from({length: 60}, (_, i): DeviceSpec => ({
      id: `sim-${String(i + 1).padStart(2, '0')}`, generation: (['v3', 'v3', 'v2', 'v2.3', 'v1', 'homie4', 'homie5'] as const)[i % 7], fw: `fleet@1.${i % 5}.0`,
    }));
    fleet = startFleet({url: broker.url, specs, statsInterval: 3});
    await fleet.waitAllAdvertised(30_000);
    const root = path.join(tmp.dir, 'firmwares');
    proc = await startHomieOta({cwd: tmp.dir, args: ['--mqtt', broker.url, '--prefix', 'homie,devices', '--firmware-dir', root, '--log-file', 'homie-ota.log'],
      watch: [/unexpected error|unhandled rejection|listener of .* failed/i]});
    await waitFor(async () => (await devices(proc!)).length === specs.length && (await proc!.api('/api/inventory')).body.discovery.phase === 'complete', 'the fleet listed', 30_000, 250);
    const withFirmware = fleet.devices.filter(d => d.generation !== 'homie5');
    const baseline = new Map<string, string>();
    for (const record of await devices(proc)) if (!VICTIMS.includes(record.id)) baseline.set(record.key, stable(record as unknown as Record<string, unknown>));
    const rssBefore = proc.rssMb();

    const hostile = new HostileMqtt(broker.port);
    const counts = new Map<string, {sent: number; refused: number}>();
    let total = 0;
    let peak = rssBefore;
    const afterRound: number[] = [];
    // three rounds of the same barrage: memory that grows round after round would be a leak
    for (let round = 0; round < 3; round++) {
      for (const [category, [topic, payload, retain]] of hostileMessages()) {
        const ok = await hostile.publish(topic, payload, retain);
        const c = counts.get(category) ?? {sent: 0, refused: 0};
        c.sent++;
        if (!ok) c.refused++;
        counts.set(category, c);
        total++;
        if (total % 50 === 0) {
          peak = Math.max(peak, proc.rssMb());
          expect(proc.running(), `homie-ota died after ${total} messages`).toBe(true);
        }
      }
      await sleep(1000);
      afterRound.push(proc.rssMb());
    }
    hostile.close();
    // once more with the retained junk replayed from the start: a restart must load it all too
    await sleep(2000);
    peak = Math.max(peak, proc.rssMb());
    const health = await proc.api('/healthz');
    expect(health.status).toBe(200);
    expect(health.body.mqtt.state).toBe('connected');

    // the fleet, victims aside: exactly as before
    const after = new Map((await devices(proc)).map(r => [r.key, r]));
    for (const [key, before] of baseline) expect(stable(after.get(key) as unknown as Record<string, unknown>), key).toBe(before);
    await waitInventoryMatches(proc, {...fleet, devices: withFirmware.filter(d => !VICTIMS.includes(d.id))} as Fleet, 10_000);
    // every device is readable one by one, odd ids included
    let details = 0;
    for (const record of after.values()) {
      // sent as is: fetch() would resolve the "." and ".." ids away
      const res = await rawGet(proc.httpPort, `/api/devices/${record.key.split('/').map(encodeURIComponent).join('/')}`, proc.auth, 10_000);
      expect([200, 400], record.key).toContain(res.status);
      if (res.status === 200) details++;
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const inventoryFile = fs.statSync(path.join(root, 'inventory.json')).size;
    const rssAfter = proc.rssMb();
    report('hostile MQTT', [
      ...[...counts].map(([category, c]) => `${category}: ${c.sent}${c.refused ? ` (${c.refused} refused by mosquitto, which hung up)` : ''}`),
      `total ${total} messages (${hostile.accepted} accepted by the broker, ${hostile.refused} refused); ${after.size} devices listed (fleet ${specs.length}), ${details} details served`,
      `homie-ota RSS ${rssBefore} MB before, ${afterRound.join(' / ')} MB after each round, peak ${peak} MB, ${rssAfter} MB at the end; inventory.json ${Math.round(inventoryFile / 1024)} KiB`,
    ]);
    expect(total / 3).toBeGreaterThanOrEqual(1000);
    // a few MB payloads pass through the MQTT client's buffers: the peak may rise, the rounds may not
    expect(peak - rssBefore).toBeLessThan(200);
    expect(afterRound[2]! - afterRound[0]!).toBeLessThan(40);
    expect(inventoryFile).toBeLessThan(5 * 1024 * 1024);
    expect(proc.matches()).toEqual([]);
    // a restart loads the inventory it saved with all this in it, and the broker's retained junk again
    expect(await proc.stop()).toEqual({code: 0, signal: null});
    proc = await startHomieOta({cwd: tmp.dir, args: ['--mqtt', broker.url, '--prefix', 'homie,devices', '--firmware-dir', root, '--log-file', 'homie-ota.log'],
      watch: [/unexpected error|unhandled rejection|could not be loaded|listener of .* failed/i]});
    await waitFor(async () => (await proc!.api('/api/inventory')).body.discovery.phase === 'complete', 'loaded again', 30_000, 250);
    const again = new Map((await devices(proc)).map(r => [r.key, r]));
    for (const [key, before] of baseline) expect(stable(again.get(key) as unknown as Record<string, unknown>), key).toBe(before);
    expect(proc.matches()).toEqual([]);
  });
});
