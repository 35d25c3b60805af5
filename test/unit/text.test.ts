import {describe, expect, it} from 'vitest';
import {groupDigits} from '../../src/engine/util/text.js';

describe('numbers in messages', () => {
  it('groups digits by thousands as en-US does, without loading the locale data', () => {
    for (const n of [0, 7, 999, 1000, 20_000, 1_234_567, -1234, 1234.5, -98765.25, 100_000]) {
      expect(groupDigits(n), String(n)).toBe(n.toLocaleString('en-US', {maximumFractionDigits: 20}));
    }
  });
});
