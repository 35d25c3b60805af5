import {describe, expect, it} from 'vitest';
import {normaliseMac, parsePullClient, parseVersionHeader} from '../../src/engine/ota/pull-headers.js';
import {matchV1Payload, v1OtaPayload} from '../../src/engine/ota/v1-payload.js';

describe('the x-ESP8266-version header', () => {
  it('reads the Homie v1.3–1.5 form', () => {
    expect(parseVersionHeader('c631f278=awesome-light=1.0.0=1.1.0')).toEqual({kind: 'homie', id: 'c631f278', fwName: 'awesome-light', fwVersion: '1.0.0', target: '1.1.0'});
    expect(parseVersionHeader('d40655e0=button-homie=1.0.0=a75ebc7c7f@1.0.1')).toMatchObject({fwName: 'button-homie', target: 'a75ebc7c7f@1.0.1'});
  });

  it('reads the v1.0–1.2 form and the unreleased arrow form, keeping the hash the original lost', () => {
    expect(parseVersionHeader('1a2b3c4d=awesome-light@1.0.0')).toEqual({kind: 'homie', id: '1a2b3c4d', fwName: 'awesome-light', fwVersion: '1.0.0', target: undefined});
    expect(parseVersionHeader('d40655e0=button-homie@1.0.0->a75ebc7c7f@1.0.1')).toEqual({kind: 'homie', id: 'd40655e0', fwName: 'button-homie', fwVersion: '1.0.0', target: 'a75ebc7c7f@1.0.1'});
  });

  it('keeps a plain sketch version and tells a missing header apart', () => {
    expect(parseVersionHeader('2.3.1')).toEqual({kind: 'plain', value: '2.3.1'});
    expect(parseVersionHeader(undefined)).toEqual({kind: 'none'});
    expect(parseVersionHeader('  ')).toEqual({kind: 'none'});
  });
});

describe('pull client headers', () => {
  it('reads every ESP8266 header, in any case', () => {
    const client = parsePullClient({
      'user-agent': 'ESP8266-http-Update',
      'x-esp8266-sta-mac': '18:FE:34:D4:06:55',
      'x-esp8266-ap-mac': '1A:FE:34:D4:06:55',
      'x-esp8266-free-space': '679936',
      'x-esp8266-sketch-size': '367776',
      'x-esp8266-chip-size': '4194304',
      'x-esp8266-sdk-version': '1.5.3(aec24ac9)',
      'x-esp8266-mode': 'sketch',
      'x-esp8266-sketch-md5': '0123456789ABCDEF0123456789abcdef',
      'x-esp8266-chip-id': '13958690',
      'x-esp8266-version': 'c631f278=awesome-light=1.0.0=1.1.0',
    });
    expect(client).toMatchObject({
      platform: 'esp8266', staMac: '18:FE:34:D4:06:55', freeSpace: 679936, sketchSize: 367776, chipSize: 4194304,
      mode: 'sketch', sketchMd5: '0123456789abcdef0123456789abcdef', chipId: '13958690',
      version: {kind: 'homie', id: 'c631f278', target: '1.1.0'},
    });
  });

  it('reads ESP32 headers and never trusts malformed numbers', () => {
    const client = parsePullClient({
      'user-agent': 'ESP32-http-Update',
      'x-esp32-sta-mac': '24:0a:c4:00:00:01',
      'x-esp32-free-space': '1310720',
      'x-esp32-sketch-sha256': 'ab'.repeat(32),
      'x-esp32-chip-size': '-1',
    });
    expect(client).toMatchObject({platform: 'esp32', staMac: '24:0A:C4:00:00:01', freeSpace: 1310720, sketchSha256: 'AB'.repeat(32), chipSize: undefined, version: {kind: 'none'}});
    expect(normaliseMac('240ac4000001')).toBe('24:0A:C4:00:00:01');
    expect(normaliseMac('nonsense')).toBeUndefined();
  });
});

describe("the original's $ota payload", () => {
  it('matches the examples of the original', () => {
    expect(v1OtaPayload('button-homie', '1.0.1')).toBe('a75ebc7c7f@1.0.1');
    expect(v1OtaPayload('example-firmware', '1.0.5')).toBe('0f9d07bee7@1.0.5');
    expect(v1OtaPayload('x', '1.2.3.4')).toHaveLength(16);
  });

  it('refuses versions that leave no room for a hash, instead of overflowing 16 characters', () => {
    expect(v1OtaPayload('x', '1.0.0-alpha+001')).toBeNull();
  });

  it('finds the firmware a callback target names', () => {
    const store = [{name: 'relay', version: '1.0.0'}, {name: 'button-homie', version: '1.0.1'}];
    expect(matchV1Payload('a75ebc7c7f@1.0.1', store)).toEqual(store[1]);
    expect(matchV1Payload('deadbeef@1.0.1', store)).toBeUndefined();
  });
});
