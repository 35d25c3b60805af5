import {describe, expect, it} from 'vitest';
import {DeviceEntry} from '../../src/engine/inventory/device.js';
import {buildDetail, declaredProperties} from '../../src/engine/inventory/detail.js';
import {FirmwareIndex} from '../../src/engine/inventory/firmware-index.js';
import {decodePayload} from '../../src/engine/inventory/payload.js';
import {buildRecord, type RecordContext} from '../../src/engine/inventory/record.js';
import {deviceTopics, type Generation} from '../helpers/homie-publisher.js';
import type {FirmwareRecord} from '../../src/engine/firmware/store.js';

function entryFrom(generation: Generation, id = 'dev', options = {}): DeviceEntry {
  const entry = new DeviceEntry('homie', id, generation === 'v5', true);
  const base = generation === 'v5' ? `homie/5/${id}/` : `homie/${id}/`;
  for (const [topic, payload] of deviceTopics(generation, 'homie', id, options)) entry.set(topic.slice(base.length), payload);
  return entry;
}

const fw = (name: string, version: string) => ({name, version, file: `${name}-${version}.bin`, size: 1, md5: '', chip: 'esp8266', gzip: false, description: ''}) as FirmwareRecord;

function context(files: FirmwareRecord[] = []): RecordContext {
  return {firmware: new FirmwareIndex(files), stateOf: () => undefined};
}

describe('device records per Homie generation', () => {
  it('Homie 1.x: $online, $fwname/$fwversion, $localip, $signal, $uptime', () => {
    const r = buildRecord(entryFrom('v1', 'a', {fw: 'light', version: '1.0.2', signal: 55, uptime: 99, ip: '10.0.0.1'}), context());
    expect(r).toMatchObject({homie: '1.x', state: 'ready', online: true, fw: {name: 'light', version: '1.0.2'}, ip: '10.0.0.1', signal: 55, uptime: 99});
    const lost = buildRecord(entryFrom('v1', 'b', {state: 'lost'}), context());
    expect(lost.state).toBe('lost');
    expect(lost.online).toBe(false);
  });

  it('Homie 2.0: $homie, $online, $fw/*, $stats/*, $implementation/*', () => {
    const r = buildRecord(entryFrom('v2'), context());
    expect(r).toMatchObject({homie: '2.0.0', state: 'ready', implementation: 'esp8266', otaEnabled: true, mac: expect.stringMatching(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/),
      statsInterval: 0, signal: 72, uptime: 3600, fw: {name: 'fleet-sensor', version: '1.0.0', checksum: expect.stringMatching(/^[0-9a-f]{32}$/)}});
  });

  it('Homie 3 and 4 (legacy extensions): $state wins, every field read', () => {
    expect(buildRecord(entryFrom('v3', 'x', {state: 'sleeping'}), context())).toMatchObject({homie: '3.0.1', state: 'sleeping', online: false, statsInterval: 65});
    expect(buildRecord(entryFrom('v4'), context())).toMatchObject({homie: '4.0.0', state: 'ready', implementation: 'esp32', fw: {name: 'fleet-sensor'}});
  });

  it('Homie 5: version and name from $description, no firmware fields', () => {
    const r = buildRecord(entryFrom('v5', 'lamp', {name: 'Desk lamp'}), context());
    expect(r).toMatchObject({key: 'homie/5/lamp', homie: '5.0', name: 'Desk lamp', state: 'ready', fw: {}});
    expect(r.updateAvailable).toBe(false);
  });

  it('a device whose generation cannot be told is "unknown", and a bad $state is "unknown" too', () => {
    const e = new DeviceEntry('homie', 'odd', false, true);
    e.set('$state', 'dancing');
    expect(buildRecord(e, context())).toMatchObject({homie: 'unknown', state: 'unknown'});
  });

  it('a Homie 5 child counts as lost when its root is lost', () => {
    const child = new DeviceEntry('homie', 'child', true, true);
    child.set('$state', 'ready');
    child.set('$description', JSON.stringify({homie: '5.0', version: 1, root: 'hub'}));
    expect(buildRecord(child, {firmware: new FirmwareIndex(), stateOf: key => (key === 'homie/5/hub' ? 'lost' : undefined)}).state).toBe('lost');
  });

  it('updateAvailable: a newer version of the same firmware name, semver-aware', () => {
    const files = [fw('fleet-sensor', '1.0.9'), fw('fleet-sensor', '1.0.10'), fw('other', '9.0.0')];
    const r = buildRecord(entryFrom('v3', 'a', {version: '1.0.9'}), context(files));
    expect(r.updateAvailable).toBe(true);
    expect(r.latest).toBe('1.0.10');
    expect(buildRecord(entryFrom('v3', 'b', {version: '1.0.10'}), context(files)).updateAvailable).toBe(false);
    expect(buildRecord(entryFrom('v3', 'c', {version: 'v2.0.0-beta'}), context(files)).updateAvailable).toBe(false);
    expect(buildRecord(entryFrom('v3', 'd', {fw: 'nothing-like-it'}), context(files)).updateAvailable).toBe(false);
  });

  it('records are cached until the device changes, then rebuilt', () => {
    const e = entryFrom('v3');
    const ctx = context();
    const first = buildRecord(e, ctx);
    expect(buildRecord(e, ctx)).toBe(first);
    e.set('$stats/uptime', '7200');
    const second = buildRecord(e, ctx);
    expect(second).not.toBe(first);
    expect(second.uptime).toBe(7200);
  });
});

describe('topic store', () => {
  it('keeps topics in order, updates in place, deletes, and remembers when a value came live', () => {
    const e = new DeviceEntry('homie', 'x', false, true);
    expect(e.set('$state', 'init')).toBe(true);
    expect(e.set('$name', 'X', 1000)).toBe(true);
    expect(e.set('$state', 'ready', 2000)).toBe(true);
    expect(e.set('$state', 'ready')).toBe(false);
    expect([...e.topics]).toEqual([['$state', 'ready'], ['$name', 'X']]);
    expect(e.topics.liveAt('$state')).toBe(2000);
    expect(e.topics.liveAt('$nothing')).toBe(0);
    expect(e.set('$name', null)).toBe(true);
    expect(e.set('$name', null)).toBe(false);
    expect([...e.topics.keys()]).toEqual(['$state']);
  });
});

describe('payloads', () => {
  it('empty means deleted; Homie 5 0x00 is the empty string; non-UTF-8 is replaced; big payloads are cut', () => {
    expect(decodePayload(Buffer.alloc(0), 100, false)).toBeNull();
    expect(decodePayload(Buffer.from([0]), 100, true)).toBe('');
    expect(decodePayload(Buffer.from([0]), 100, false)).toBe('\u0000');
    expect(decodePayload(Buffer.from([0x41, 0xff, 0x42]), 100, false)).toBe('A\uFFFDB');
    const big = decodePayload(Buffer.alloc(1024 * 1024, 0x61), 1024, false)!;
    expect(big.length).toBeLessThan(1100);
    expect(big.endsWith('…[cut]')).toBe(true);
  });
});

describe('device detail: nodes and properties', () => {
  it('Homie 3: nodes from $nodes, properties with name, datatype, unit, settable', () => {
    const e = entryFrom('v3');
    const d = buildDetail(e, buildRecord(e, context()));
    expect(d.nodes.map(n => n.id)).toEqual(['sensor', 'relay']);
    expect(d.nodes[0]).toMatchObject({name: 'Climate', type: 'DHT22'});
    expect(d.nodes[0]!.properties[0]).toEqual(expect.objectContaining({id: 'temperature', value: '21.5', name: 'Temperature', unit: '°C', datatype: 'float'}));
    expect(d.nodes[1]!.properties[0]).toEqual(expect.objectContaining({id: 'on', settable: true, datatype: 'boolean', value: 'false'}));
    expect(d.attributes['$fw/name']).toBe('fleet-sensor');
    expect(d.stats).toMatchObject({uptime: '3600', signal: '72', interval: '65'});
  });

  it('Homie 2: ranges and :settable in $properties; Homie 1: id:type in $nodes', () => {
    const e = entryFrom('v2');
    const d = buildDetail(e, buildRecord(e, context()));
    const relay = d.nodes.find(n => n.id === 'relay')!;
    expect(relay.properties.map(p => [p.id, p.settable, p.value])).toEqual([['led_1', true, 'on'], ['led_2', true, 'off'], ['led_3', true, 'off']]);
    const e1 = entryFrom('v1');
    const d1 = buildDetail(e1, buildRecord(e1, context()));
    expect(d1.nodes).toEqual([
      expect.objectContaining({id: 'sensor', type: 'temperature', properties: [expect.objectContaining({id: 'temperature', value: '21.5'})]}),
      expect.objectContaining({id: 'relay', type: 'switch', properties: [expect.objectContaining({id: 'on', value: 'false'})]}),
    ]);
    expect(d1.stats).toMatchObject({signal: '72', uptime: '3600'});
    expect(declaredProperties('x[1-1000]').length).toBe(64);
  });

  it('Homie 5: nodes and properties from $description with live values', () => {
    const e = entryFrom('v5');
    const d = buildDetail(e, buildRecord(e, context()));
    expect(d.nodes.find(n => n.id === 'relay')!.properties[0]).toMatchObject({id: 'on', settable: true, value: 'false'});
    expect(d.nodes.find(n => n.id === 'sensor')!.properties.map(p => p.value)).toEqual(['21.5', '48']);
  });

  it('shows topics that nothing declares, and reports a $description that is not JSON', () => {
    const e = new DeviceEntry('homie', 'x', true, true);
    e.set('$state', 'ready');
    e.set('$description', '{not json');
    e.set('extra/value', '1');
    const d = buildDetail(e, buildRecord(e, context()));
    expect(d.problems[0]).toMatch(/not JSON/);
    expect(d.nodes).toEqual([expect.objectContaining({id: 'extra', properties: [expect.objectContaining({id: 'value', value: '1'})]})]);
  });
});
