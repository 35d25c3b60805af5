import {describe, expect, it} from 'vitest';
import {deviceKey, isDeviceId, isDiscoveryPath, isKeptPath, orderPrefixes, parseTopic} from '../../src/engine/inventory/topics.js';

describe('topic parsing', () => {
  const prefixes = orderPrefixes(['homie', 'devices', 'home/homie']);

  it('reads prefix, id and path relative to the prefix', () => {
    expect(parseTopic('homie/kitchen/$fw/name', prefixes)).toEqual([{prefix: 'homie', id: 'kitchen', v5: false, path: '$fw/name', key: 'homie/kitchen'}]);
    expect(parseTopic('devices/abc123/$online', prefixes)).toEqual([{prefix: 'devices', id: 'abc123', v5: false, path: '$online', key: 'devices/abc123'}]);
  });

  it('parses multi-level prefixes relative to the prefix, never by index', () => {
    expect(parseTopic('home/homie/garage/door/open', prefixes)).toEqual([{prefix: 'home/homie', id: 'garage', v5: false, path: 'door/open', key: 'home/homie/garage'}]);
    expect(orderPrefixes(['home', 'home/homie'])).toEqual(['home/homie', 'home']);
  });

  it('reads Homie 5 devices under <domain>/5/<id>, and keeps the Homie 3 reading of an id "5" as second choice', () => {
    expect(parseTopic('homie/5/lamp/$state', prefixes)).toEqual([
      {prefix: 'homie', id: 'lamp', v5: true, path: '$state', key: 'homie/5/lamp'},
      {prefix: 'homie', id: '5', v5: false, path: 'lamp/$state', key: 'homie/5'},
    ]);
    expect(parseTopic('homie/5/$state', prefixes)).toEqual([{prefix: 'homie', id: '5', v5: false, path: '$state', key: 'homie/5'}]);
    expect(deviceKey('homie', 'lamp', true)).toBe('homie/5/lamp');
  });

  it('refuses what names no device: $broadcast, empty ids, topics outside the prefixes, bare device topics', () => {
    expect(parseTopic('homie/$broadcast/alert', prefixes)).toEqual([]);
    expect(parseTopic('homie/5/$broadcast/alert', prefixes)).toEqual([{prefix: 'homie', id: '5', v5: false, path: '$broadcast/alert', key: 'homie/5'}]);
    expect(parseTopic('homie//$state', prefixes)).toEqual([]);
    expect(parseTopic('homiex/a/$state', prefixes)).toEqual([]);
    expect(parseTopic('homie/kitchen', prefixes)).toEqual([]);
    expect(parseTopic('homie', prefixes)).toEqual([]);
    expect(isDeviceId('x'.repeat(129))).toBe(false);
  });

  it('accepts ids with odd characters (homie-esp8266 does not check them)', () => {
    expect(parseTopic('homie/Küche 1.a_b/$state', prefixes)[0]).toMatchObject({id: 'Küche 1.a_b'});
  });

  it('keeps paths of 1-4 sane levels and never a firmware push', () => {
    expect(isKeptPath('$state')).toBe(true);
    expect(isKeptPath('node/prop/$unit')).toBe(true);
    expect(isKeptPath('a/b/c/d')).toBe(true);
    expect(isKeptPath('a/b/c/d/e')).toBe(false);
    expect(isKeptPath('a//b')).toBe(false);
    expect(isKeptPath('')).toBe(false);
    expect(isKeptPath(`${'x'.repeat(65)}`)).toBe(false);
    expect(isKeptPath('$implementation/ota/firmware/0123')).toBe(false);
  });

  it('knows which attributes discover a device', () => {
    expect(isDiscoveryPath('$state', false) && isDiscoveryPath('$online', false) && isDiscoveryPath('$homie', false)).toBe(true);
    expect(isDiscoveryPath('$name', false)).toBe(false);
    expect(isDiscoveryPath('$description', true)).toBe(true);
    expect(isDiscoveryPath('$online', true)).toBe(false);
  });
});
