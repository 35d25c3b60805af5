import {describe, expect, it} from 'vitest';
import type {DeviceRecord} from '../../src/engine/inventory/inventory.js';
import type {FirmwareRecord} from '../../src/engine/firmware/store.js';
import {planUpdate, STILL_LOADING} from '../../src/engine/ota/plan.js';
import {explainPushStatus, parsePushStatus} from '../../src/engine/ota/push-status.js';

const device = (patch: Partial<DeviceRecord> & {fw?: DeviceRecord['fw']} = {}): DeviceRecord => ({
  key: 'homie/relay-1', id: 'relay-1', prefix: 'homie', homie: '3.0.1', state: 'ready', online: true, confirmed: true,
  fw: {name: 'relay', version: '1.0.0', checksum: 'a'.repeat(32)}, implementation: 'esp8266', otaEnabled: true, updateAvailable: false,
  ...patch,
}) as DeviceRecord;

const firmware = (patch: Partial<FirmwareRecord> = {}): FirmwareRecord => ({
  name: 'relay', version: '1.2.0', file: 'relay-1.2.0.bin', size: 300_000, md5: 'b'.repeat(32), chip: 'esp8266', gzip: false, description: '',
  ...patch,
}) as FirmwareRecord;

describe('planUpdate', () => {
  it('pushes over MQTT to homie-esp8266 2.x/3.x devices with OTA enabled', () => {
    expect(planUpdate(device(), firmware())).toEqual({kind: 'go', method: 'mqtt-push', warnings: []});
    expect(planUpdate(device({homie: '2.0.0'}), firmware())).toMatchObject({kind: 'go', method: 'mqtt-push'});
  });

  it('uses $ota and the HTTP endpoint for Homie 1.x devices', () => {
    expect(planUpdate(device({homie: '1.x', otaEnabled: undefined, implementation: undefined}), firmware())).toMatchObject({kind: 'go', method: 'v1-ota'});
  });

  it('skips a device that already runs the image or the version', () => {
    expect(planUpdate(device({fw: {name: 'relay', version: '1.0.0', checksum: 'b'.repeat(32)}}), firmware())).toMatchObject({kind: 'skip', reason: expect.stringMatching(/already runs this image/)});
    expect(planUpdate(device({fw: {name: 'relay', version: '1.2.0'}}), firmware())).toMatchObject({kind: 'skip', reason: 'already runs relay 1.2.0'});
  });

  it('refuses what would brick or be ignored: wrong chip, gzip push, OTA off, Homie 5, an over-long topic', () => {
    expect(planUpdate(device(), firmware({chip: 'esp32s3'}))).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/esp32s3 image but the device is an esp8266/)});
    expect(planUpdate(device(), firmware({gzip: true}))).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/gzip/)});
    expect(planUpdate(device({otaEnabled: false}), firmware())).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/OTA is disabled/)});
    expect(planUpdate(device({otaEnabled: undefined}), firmware())).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/does not announce/)});
    expect(planUpdate(device({homie: '5.0'}), firmware())).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/Homie 5/)});
    const longId = 'x'.repeat(61); // homie/ + 61 + /$implementation/ota/firmware/ + 32 = 129
    expect(planUpdate(device({id: longId, key: `homie/${longId}`}), firmware())).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/drops topics over 128/)});
    expect(planUpdate(device({homie: '1.x'}), firmware({version: '2019.01.05-rc1'}))).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/too long for a Homie 1.x \$ota/)});
  });

  it('warns when the firmware name changes or a chip is unknown', () => {
    const plan = planUpdate(device({implementation: undefined}), firmware({name: 'sensor', chip: 'unknown'}));
    expect(plan).toMatchObject({kind: 'go', warnings: ['the chip of relay-1.2.0.bin is unknown', 'the device does not say which chip it is', 'changes the firmware from relay to sensor']});
  });
});

describe('planUpdate on a device whose attributes are still arriving', () => {
  it('queues what may yet come (OTA support, chip) with a note, and plans again on the complete record', () => {
    const lacking = device({otaEnabled: undefined, implementation: undefined});
    expect(planUpdate(lacking, firmware(), {loading: true})).toEqual({kind: 'go', method: 'mqtt-push', warnings: [STILL_LOADING]});
    // the same record once the load is over: the refusal it deserves
    expect(planUpdate(lacking, firmware())).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/does not announce/)});
  });

  it('still refuses what is already known: OTA off, a wrong chip, Homie 5, gzip over MQTT', () => {
    expect(planUpdate(device({otaEnabled: false}), firmware(), {loading: true})).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/OTA is disabled/)});
    expect(planUpdate(device({otaEnabled: undefined}), firmware({chip: 'esp32'}), {loading: true})).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/esp32 image/)});
    expect(planUpdate(device({homie: '5.0', otaEnabled: undefined}), firmware(), {loading: true})).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/Homie 5/)});
    expect(planUpdate(device({otaEnabled: undefined}), firmware({gzip: true}), {loading: true})).toMatchObject({kind: 'refuse', reason: expect.stringMatching(/gzip/)});
  });

  it('adds no note when nothing is missing', () => {
    expect(planUpdate(device(), firmware(), {loading: true})).toEqual({kind: 'go', method: 'mqtt-push', warnings: []});
  });
});

describe('push status', () => {
  it('parses every status homie-esp8266 sends', () => {
    expect(parsePushStatus('202')).toEqual({code: 202});
    expect(parsePushStatus('206 1460/349680')).toEqual({code: 206, done: 1460, total: 349680});
    expect(parsePushStatus('200')).toEqual({code: 200});
    expect(parsePushStatus('304')).toEqual({code: 304});
    expect(parsePushStatus('403')).toEqual({code: 403});
    expect(parsePushStatus('400 BAD_FIRMWARE')).toEqual({code: 400, reason: 'BAD_FIRMWARE'});
    expect(parsePushStatus('500 INTERNAL_ERROR 6')).toEqual({code: 500, reason: 'INTERNAL_ERROR 6'});
    expect(parsePushStatus('')).toBeNull();
    expect(parsePushStatus('206 9/4')).toBeNull();
    expect(parsePushStatus('garbage')).toBeNull();
  });

  it('explains failures in words', () => {
    expect(explainPushStatus({code: 400, reason: 'NOT_ENOUGH_SPACE'})).toMatch(/does not fit the free sketch space/);
    expect(explainPushStatus({code: 500, reason: 'INTERNAL_ERROR 6'})).toMatch(/error 6 STREAM/);
    expect(explainPushStatus({code: 403})).toMatch(/OTA is disabled/);
  });
});

describe('firmware name changes', () => {
  it('are allowed for one device with a warning, and refused in a batch', () => {
    const light = firmware({name: 'light', file: 'light-2.0.0.bin', version: '2.0.0'});
    expect(planUpdate(device(), light, {allowNameChange: true})).toMatchObject({kind: 'go', warnings: ['changes the firmware from relay to light']});
    expect(planUpdate(device(), light, {allowNameChange: false})).toMatchObject({kind: 'refuse', reason: 'runs relay, not light: change a device\'s firmware one device at a time'});
  });
});
