import {describe, expect, it} from 'vitest';
import {etaSeconds, type Job} from '../../src/engine/ota/job.js';

const base: Job = {
  id: 'j-1', deviceKey: 'homie/relay-1', deviceId: 'relay-1', firmware: {name: 'relay', version: '1.1.0', file: 'relay-1.1.0.bin', md5: 'a'.repeat(32), size: 400_000, chip: 'esp8266', gzip: false},
  method: 'mqtt-push', state: 'flashing', createdAt: 0, updatedAt: 0, attempt: 1, from: {}, timeline: [],
  sentAt: 1000, progress: {done: 100_000, total: 400_000, firstAt: 1000, lastAt: 11_000},
};

describe('the ETA of a job', () => {
  it('during a transfer: what is left at the rate seen so far', () => {
    // 100 kB in 10 s, 300 kB to go
    expect(etaSeconds(base)).toBeCloseTo(30);
    expect(etaSeconds({...base, state: 'sending'})).toBeCloseTo(30);
  });

  it('after the transfer: none while the device reboots (no false "<1s"), the time to the re-check of an ESP32', () => {
    const sent = {...base, progress: {...base.progress!, done: 400_000}};
    expect(etaSeconds({...sent, state: 'rebooting'})).toBeUndefined();
    expect(etaSeconds({...sent, state: 'verifying'}, 20_000)).toBeUndefined();
    expect(etaSeconds({...sent, state: 'verifying', recheckAt: 200_000}, 20_000)).toBe(180);
    expect(etaSeconds({...sent, state: 'verifying', recheckAt: 200_000}, 250_000)).toBe(0);
  });
});
