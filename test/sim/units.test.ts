import {describe, expect, it} from 'vitest';
import {buildFirmwareImage} from '../../src/sim/build-image.js';
import {PacketReader, encodePublish, encodeSubscribe, type Incoming} from '../../src/mqtt/packets.js';
import {topicMatches} from '../../src/sim/mqtt/topic.js';
import {Pacer} from '../../src/sim/pacer.js';
import {parseFault, parseFaultAssignment, parseGenerationMix, parseRate, scanImage, spreadGenerations} from '../../src/sim/index.js';
import {parseSimulateArgs} from '../../src/commands/simulate.js';

/** Pieces of the simulator on their own: the MQTT codec, the rate bound, option parsing. */
describe('the MQTT codec', () => {
  it('reads a broker stream fed a byte at a time: PUBLISH at each QoS, SUBACK, CONNACK', () => {
    const stream = Buffer.concat([
      Buffer.from([0x20, 2, 0, 0]), // CONNACK accepted
      encodePublish('homie/a/$state', 'init', 0, true),
      encodePublish('homie/a/x', Buffer.alloc(200_000, 7), 1, false, 42), // a 3-byte remaining length
      encodePublish('homie/a/y', 'two', 2, false, 43, true),
      Buffer.from([0x90, 4, 0, 9, 1, 0x80]), // SUBACK: granted 1, refused
    ]);
    const got: Incoming[] = [];
    const reader = new PacketReader(p => got.push(p));
    for (const byte of stream) reader.push(Buffer.from([byte]));
    expect(got.map(p => p.type)).toEqual(['connack', 'publish', 'publish', 'publish', 'suback']);
    expect(got[1]).toMatchObject({topic: 'homie/a/$state', qos: 0, retain: true, total: 4});
    expect(got[2]).toMatchObject({topic: 'homie/a/x', qos: 1, id: 42, total: 200_000, truncated: false});
    expect(got[3]).toMatchObject({topic: 'homie/a/y', qos: 2, id: 43, dup: true});
    expect(got[4]).toMatchObject({id: 9, granted: [1, 0x80]});
  });

  it('an oversized PUBLISH is delivered with its head only, and what follows still parses', () => {
    const got: Incoming[] = [];
    const reader = new PacketReader(p => got.push(p), 100_000);
    const big = encodePublish('t/big', Buffer.alloc(500_000, 0xe9), 1, false, 1);
    const next = encodePublish('t/next', 'ok', 0, false);
    const stream = Buffer.concat([big, next]);
    for (let i = 0; i < stream.length; i += 65_536) reader.push(stream.subarray(i, i + 65_536));
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({topic: 't/big', total: 500_000, truncated: true});
    expect((got[0] as {payload: Buffer}).payload.length).toBeLessThan(500_000);
    expect(got[1]).toMatchObject({topic: 't/next', truncated: false});
  });

  it('SUBSCRIBE carries each filter with its QoS and the reserved flags 0010', () => {
    const packet = encodeSubscribe(7, [['homie/a/+/+/set', 2]]);
    expect(packet[0]).toBe(0x82);
    expect(packet.subarray(2, 4)).toEqual(Buffer.from([0, 7]));
    expect(packet.at(-1)).toBe(2);
  });

  it('topic filters match as a broker does', () => {
    expect(topicMatches('homie/+/$state', 'homie/a/$state')).toBe(true);
    expect(topicMatches('homie/#', 'homie/a/b/c')).toBe(true);
    expect(topicMatches('homie/+/+/set', 'homie/a/b/c/set')).toBe(false);
    expect(topicMatches('+/x', '$SYS/x')).toBe(false);
  });
});

describe('the rate bound', () => {
  it('lets 200 packets through at 1000/s in about 0.2 s, urgent ones first', async () => {
    const pacer = new Pacer(1000, 10);
    const order: string[] = [];
    const started = Date.now();
    const waits: Array<Promise<void>> = [];
    for (let i = 0; i < 200; i++) {
      const wait = pacer.take();
      waits.push(wait ? wait.then(() => void order.push('n')) : Promise.resolve(void order.push('n')));
    }
    const urgent = pacer.take(true);
    expect(urgent).not.toBeNull();
    waits.push(urgent!.then(() => void order.push('u')));
    await Promise.all(waits);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(3000);
    expect(order.indexOf('u')).toBeLessThan(30); // served ahead of the normal queue
  });
});

describe('options', () => {
  it('faults on the command line', () => {
    expect(parseFault('flash-error=60')).toEqual({flashErrorAt: 60});
    expect(parseFault('sleepy=60/5')).toEqual({sleepy: {sleepSeconds: 60, awakeSeconds: 5}});
    expect(parseFault('rollback')).toEqual({rollback: true});
    expect(parseFault('rollback=30')).toEqual({rollback: 30});
    expect(parseFault('slow-link=2K')).toEqual({slowLink: 2048});
    expect(parseFaultAssignment('drop=50:10%')).toEqual({faults: {dropAt: 50}, share: 0.1});
    expect(parseFaultAssignment('never-back:3')).toEqual({faults: {neverBack: true}, count: 3});
    expect(parseFaultAssignment('ota-disabled:@a,b')).toEqual({faults: {otaDisabled: true}, ids: ['a', 'b']});
    expect(() => parseFault('flash-error=200')).toThrow(/from 0 to 100/);
    expect(() => parseFault('melt')).toThrow(/unknown fault "melt"/);
    expect(parseRate('40K')).toBe(40_960);
  });

  it('a generation mix is spread in proportion and interleaved', () => {
    const spread = spreadGenerations(20, parseGenerationMix('v3:80,v2:15,v1:5'));
    expect(spread.filter(g => g === 'v3')).toHaveLength(16);
    expect(spread.filter(g => g === 'v2')).toHaveLength(3);
    expect(spread.filter(g => g === 'v1')).toHaveLength(1);
    expect(spread.slice(0, 7)).toContain('v2');
    expect(parseGenerationMix('h5')).toEqual([['homie5', 1]]);
    expect(() => parseGenerationMix('v9:1')).toThrow(/unknown generation "v9"/);
  });

  it('homie-ota simulate flags', () => {
    const options = parseSimulateArgs(['--mqtt', 'mqtt://b:1883', '--devices', '50', '--generation', 'v3:80,v1:20', '--fault', 'flash-error=60:2', '--fault', 'sleepy=60/5:10%', '--flash-speed', '20K', '--reboot-delay', '1.5', '--mode', 'mux']);
    expect(options).toMatchObject({url: 'mqtt://b:1883', devices: 50, generations: 'v3:80,v1:20', flashSpeed: 20_480, rebootDelay: 1500, mode: 'multiplexed'});
    expect(options !== 'help' && options.faults).toHaveLength(2);
    expect(() => parseSimulateArgs(['--devices', '3'])).toThrow(/--mqtt URL is required/);
    expect(() => parseSimulateArgs(['--mqtt', 'mqtt://b', '--devices', 'lots'])).toThrow(/--devices "lots"/);
    expect(() => parseSimulateArgs(['--mqtt', 'mqtt://b', '--bogus'])).toThrow();
  });

  it('the marker scanner reads name and version, also inside gzip, and never across a second marker pair', () => {
    expect(scanImage(buildFirmwareImage({name: 'relay', version: '1.2.3'}))).toMatchObject({name: 'relay', version: '1.2.3', chip: 'esp8266'});
    expect(scanImage(buildFirmwareImage({name: 'cam', version: '2.0', chip: 'esp32s3'}))).toMatchObject({name: 'cam', chip: 'esp32s3'});
    expect(scanImage(buildFirmwareImage({name: 'gz', version: '1', gzip: true}))).toMatchObject({name: 'gz', gzip: true});
    expect(scanImage(buildFirmwareImage({markers: false}))).toMatchObject({name: undefined, version: undefined});
  });
});
