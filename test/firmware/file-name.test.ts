import {describe, expect, it} from 'vitest';
import {firmwareFileName, isCandidateName, parseFirmwareFileName} from '../../src/engine/firmware/file-name.js';
import {planFiling} from '../../src/engine/firmware/plan.js';
import {identifyFirmware} from '../../src/engine/firmware/identify.js';
import {buildFirmwareImage} from '../../src/sim/build-image.js';

describe('store file names', () => {
  it.each([
    ['relay-1.0.0.bin', 'relay', '1.0.0'],
    ['dual-relay-1.0.5.bin', 'dual-relay', '1.0.5'],
    ['relay-1.2.3.4.bin', 'relay', '1.2.3.4'],
    ['relay-1.0.0-beta.bin', 'relay', '1.0.0-beta'],
    ['relay-v1.2.bin', 'relay', 'v1.2'],
    ['relay-1.0.bin', 'relay', '1.0'],
    ['fw-2019.01.05-1.bin', 'fw', '2019.01.05-1'],
    ['esp-1.2-relay-1.0.0.bin', 'esp-1.2-relay', '1.0.0'],
    ['lt-2.0.0.bin', 'lt', '2.0.0'],
    ['my sensor-1.0.0.bin', 'my sensor', '1.0.0'],
  ])('%s is %s version %s', (file, name, version) => {
    expect(parseFirmwareFileName(file)).toEqual({name, version});
  });

  it.each(['relay.bin', 'relay-1.bin', '-1.0.0.bin', 'relay-1.0.0.txt', 'relay-1.0.0.bin.gz', 'lt.ino.d1_mini.bin', 'firmware.bin', ' a-1.0.bin', 'a-1.0 beta.bin', 'inventory.json'])('%s is not a store name', file => {
    expect(parseFirmwareFileName(file)).toBeNull();
  });

  it('builds names that read back as the same name and version', () => {
    for (const [name, version] of [['relay', '1.0.0'], ['dual-relay', '1.0.0-rc.1'], ['x', 'v2.0'], ['fw', '2019.01.05-1']] as const) {
      const built = firmwareFileName(name, version);
      expect(built).toEqual({file: `${name}-${version}.bin`});
      expect(parseFirmwareFileName(`${name}-${version}.bin`)).toEqual({name, version});
    }
  });

  it('refuses versions that cannot be told apart from the name', () => {
    expect(firmwareFileName('relay', 'beta')).toMatchObject({problem: expect.stringMatching(/does not start with numbers and a dot/)});
    expect(firmwareFileName('relay', '2')).toMatchObject({problem: expect.any(String)});
    expect(firmwareFileName('relay', '1.0-2.0')).toMatchObject({problem: expect.stringMatching(/reads back as "relay-1.0" version "2.0"/)});
  });

  it('picks up .bin and gzip files but never hidden or temporary ones', () => {
    expect(isCandidateName('firmware.bin')).toBe(true);
    expect(isCandidateName('firmware.BIN')).toBe(true);
    expect(isCandidateName('firmware.bin.gz')).toBe(true);
    for (const name of ['.x.bin', '.x.tmp', 'x.bin.part', 'x.bin.tmp', 'x.bin.filepart', 'x.bin~', 'inventory.json', 'relay-1.0.0.txt', 'firmware-cache.json', '~lock.bin']) {
      expect(isCandidateName(name), name).toBe(false);
    }
  });
});

describe('planFiling', () => {
  it('files by the markers, whatever the file is called', () => {
    const id = identifyFirmware(buildFirmwareImage({name: 'lt', version: '2.0.0'}));
    expect(planFiling('lt.ino.d1_mini.bin', id)).toEqual({ok: true, name: 'lt', version: '2.0.0', file: 'lt-2.0.0.bin', fromMarkers: true});
  });

  it('lets the markers win over a misleading name-version.bin', () => {
    const id = identifyFirmware(buildFirmwareImage({name: 'relay', version: '1.0.1'}));
    expect(planFiling('relay-1.0.0.bin', id)).toMatchObject({ok: true, file: 'relay-1.0.1.bin'});
  });

  it('accepts a valid marker-less image from its name-version.bin name', () => {
    const id = identifyFirmware(buildFirmwareImage({markers: false}));
    expect(planFiling('sonoff-1.2.3.4.bin', id)).toEqual({ok: true, name: 'sonoff', version: '1.2.3.4', file: 'sonoff-1.2.3.4.bin', fromMarkers: false});
    expect(planFiling('sonoff.bin', id)).toMatchObject({ok: false, reason: expect.stringMatching(/no Homie firmware markers/)});
  });

  it('never accepts a broken image because of its name', () => {
    const id = identifyFirmware(buildFirmwareImage().subarray(0, 5000));
    expect(planFiling('relay-1.0.0.bin', id)).toMatchObject({ok: false, reason: expect.stringMatching(/truncated/)});
  });
});
