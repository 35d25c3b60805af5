import {describe, expect, it} from 'vitest';
import type {DeviceDetail} from '../../src/engine/inventory/types.js';
import {otaHistoryLines} from '../../src/ui/views/devices/ota-history.js';
import {deviceRecord} from '../helpers/snapshots.js';

const focusOn = (over: Parameters<typeof deviceRecord>[1]) => {
  const detail = {...deviceRecord('hall', over), attributes: [], stats: [], nodes: [], problems: []} as unknown as DeviceDetail;
  return {key: detail.key, detail, activeJob: undefined, history: []};
};

describe('the OTA lines of a device\'s detail', () => {
  it('while the inventory loads, a missing OTA announcement is not known yet, not a refusal', () => {
    const text = otaHistoryLines(focusOn({otaEnabled: undefined}), false, true).map(l => l.text).join('\n');
    expect(text).toMatch(/not known yet: its attributes are still arriving/);
    expect(text).not.toMatch(/cannot update/);
  });

  it('once it has loaded, the same device cannot be updated, and says why', () => {
    const text = otaHistoryLines(focusOn({otaEnabled: undefined}), false, false).map(l => l.text).join('\n');
    expect(text).toMatch(/homie-ota cannot update this device: the device does not announce/);
  });

  it('a device whose OTA is off is refused even while loading', () => {
    const text = otaHistoryLines(focusOn({otaEnabled: false}), false, true).map(l => l.text).join('\n');
    expect(text).toMatch(/cannot update this device: OTA is disabled/);
  });
});
