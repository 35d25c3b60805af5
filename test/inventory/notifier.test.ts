import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {ChangeNotifier} from '../../src/engine/inventory/change-notifier.js';

describe('inventory change events', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('tells fast changes within 50 ms and slow ones within a second, coalesced, with the keys', async () => {
    const events: Array<readonly string[]> = [];
    const notifier = new ChangeNotifier(keys => events.push(keys), Date.now);
    for (let i = 0; i < 100; i++) notifier.changed(`homie/d${i % 3}`, false);
    await vi.advanceTimersByTimeAsync(900);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toEqual([['homie/d0', 'homie/d1', 'homie/d2']]);
    notifier.changed('homie/slow', false);
    await vi.advanceTimersByTimeAsync(10);
    notifier.changed('homie/fast', true);
    await vi.advanceTimersByTimeAsync(50);
    expect(events[1]).toEqual(['homie/slow', 'homie/fast']);
    for (let i = 0; i < 300; i++) notifier.changed(`homie/many${i}`, true);
    await vi.advanceTimersByTimeAsync(50);
    expect(events[2]).toEqual([]);
    notifier.dispose();
  });
});
