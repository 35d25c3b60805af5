import {describe, expect, it} from 'vitest';
import {cannotReason, firmwareChoices} from '../../src/ui/views/update/choices.js';
import {deviceRecord, firmwareRecord} from '../helpers/snapshots.js';

describe('the update picker order', () => {
  const sensor = deviceRecord('hall', {fw: {name: 'sensor', version: '2.3.0'}});
  const store = [firmwareRecord('doorbell', '1.6.0'), firmwareRecord('light', '1.1.0'), firmwareRecord('sensor', '2.3.0'), firmwareRecord('sensor', '2.2.0')];

  it('puts the device\'s own firmware first even when it cannot go (up to date), so u ⏎ y never asks about another name', () => {
    const choices = firmwareChoices([sensor], store);
    expect(choices.map(c => `${c.firmware.name} ${c.firmware.version}`)).toEqual(['sensor 2.3.0', 'sensor 2.2.0', 'doorbell 1.6.0', 'light 1.1.0']);
    expect(choices[0]!.go).toBe(0);
    expect(cannotReason(choices[0]!)).toBe('already up to date');
    // another name can still be picked on purpose, and says what it changes
    expect(choices[2]!.go).toBe(1);
    expect(choices[2]!.warnings.join(' ')).toMatch(/changes the firmware from sensor to doorbell/);
  });

  it('offers the upgrade of the device\'s own firmware first when there is one', () => {
    const choices = firmwareChoices([sensor], [...store, firmwareRecord('sensor', '2.4.0')]);
    expect(choices[0]).toMatchObject({firmware: {name: 'sensor', version: '2.4.0'}, go: 1, upgrade: true});
  });
});

describe('the update picker while the inventory loads', () => {
  const lacking = deviceRecord('hall', {fw: {name: 'sensor', version: '2.3.0'}, otaEnabled: undefined, implementation: undefined});
  const upgrade = [firmwareRecord('sensor', '2.4.0')];

  it('counts a device whose OTA announcement has not arrived yet as going, with the note that it is checked again', () => {
    expect(firmwareChoices([lacking], upgrade, true)[0]).toMatchObject({go: 1, refuse: 0, warnings: [expect.stringMatching(/still arriving/)]});
  });

  it('refuses it once the load is over and the announcement never came', () => {
    expect(firmwareChoices([lacking], upgrade, false)[0]).toMatchObject({go: 0, refuse: 1, refusal: expect.stringMatching(/does not announce/)});
  });
});
