import {describe, expect, it} from 'vitest';
import {etaSeconds, type Job} from '../../src/engine/ota/job.js';
import {queueEta} from '../../src/store/queue-eta.js';

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

describe('the ETA of the whole queue', () => {
  // one update measured: sent at 0, flashed at 20 s, verified at 30 s
  const measured: Job = {...base, id: 'j-0', state: 'done', sentAt: 0, flashedAt: 20_000, finishedAt: 30_000};
  const waiting = (kind: Job['waitKind']): Job => ({...base, id: `j-${kind}`, state: 'waiting', waitKind: kind, sentAt: undefined, progress: undefined});

  it('is recomputed as time passes: a transfer at its rate plus the usual reboot and check', () => {
    // 30 s of transfer left at 11 s, then the 10 s a device took to come back and be checked
    expect(queueEta([base], [measured], 2, 11_000)).toBe(40);
    const later = {...base, progress: {...base.progress!, done: 200_000, lastAt: 21_000}};
    expect(queueEta([later], [measured], 2, 21_000)).toBe(30);
    // a rebooting device: the usual 10 s after flashing, counting down
    const rebooting = {...base, state: 'rebooting' as const, flashedAt: 50_000};
    expect(queueEta([rebooting], [measured], 2, 52_000)).toBe(8);
    expect(queueEta([rebooting], [measured], 2, 57_000)).toBe(3);
  });

  it('counts jobs waiting for a slot or a canary in rounds of the concurrency', () => {
    expect(queueEta([waiting('slot'), waiting('canary'), waiting('slot')], [measured], 2, 0)).toBe(60);
  });

  it('is absent when nothing predicts it: a device away, a paused rollout, the broker, nothing measured yet, a device later than usual', () => {
    for (const kind of ['device', 'paused', 'broker', 'inventory'] as const) {
      expect(queueEta([waiting(kind)], [measured], 2, 0)).toBeUndefined();
      // one unforeseeable job makes the whole queue unforeseeable
      expect(queueEta([base, waiting(kind)], [measured], 2, 11_000)).toBeUndefined();
    }
    expect(queueEta([waiting('slot')], [], 2, 0)).toBeUndefined();
    const rebooting = {...base, state: 'rebooting' as const, flashedAt: 50_000};
    expect(queueEta([rebooting], [measured], 2, 61_000)).toBeUndefined();
  });
});
