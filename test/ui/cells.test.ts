import {describe, expect, it} from 'vitest';
import {cellWidth, cut, fit, flow, padCells, wrap} from '../../src/ui/cells.js';
import {printable, truncate} from '../../src/engine/util/text.js';

describe('text measured in terminal cells', () => {
  it('counts CJK and emoji as two cells, combining and joining marks as none', () => {
    expect(cellWidth('kitchen')).toBe(7);
    expect(cellWidth('厨房灯')).toBe(6);
    expect(cellWidth('🔥 heater')).toBe(9);
    expect(cellWidth('e\u0301')).toBe(1);
    expect(cellWidth('👨‍👩‍👧')).toBe(2);
  });

  it('cuts to a width with an ellipsis, never inside a character', () => {
    expect(cut('kitchen-light', 8)).toBe('kitchen…');
    expect(cut('厨房灯厨房灯', 5)).toBe('厨房…');
    expect(cellWidth(cut('厨房灯厨房灯', 6))).toBeLessThanOrEqual(6);
    // an emoji is whole or gone, never half (a lone surrogate shows as �)
    for (let w = 1; w < 8; w++) expect(cut('ab🔥🔥🔥', w)).not.toMatch(/[\uD800-\uDFFF]/u);
    expect(cut('ab🔥🔥🔥', 4)).toBe('ab…');
    expect(cut('short', 10)).toBe('short');
    expect(cut('x', 0)).toBe('');
  });

  it('pads to an exact width, left or right, cutting what is longer', () => {
    expect(fit('厨房灯', 8)).toBe('厨房灯  ');
    expect(cellWidth(fit('厨房灯-kitchen', 10))).toBe(10);
    expect(fit('5m', 6, 'right')).toBe('    5m');
    expect(fit('🔥🔥🔥', 5)).toBe('🔥🔥…');
    expect(padCells('🔥', 4)).toBe('🔥  ');
    expect(padCells('longer', 3)).toBe('longer');
  });

  it('wraps at spaces, breaks words longer than a line, and indents continuation lines', () => {
    expect(wrap('the quick brown fox jumps', 10)).toEqual(['the quick', 'brown fox', 'jumps']);
    expect(wrap('key value that wraps', 12, '    ')).toEqual(['key value', '    that', '    wraps']);
    expect(wrap('/a/very/long/path/without/spaces', 10)).toEqual(['/a/very/lo', 'ng/path/wi', 'thout/spac', 'es']);
    const cjk = wrap('厨房灯厨房灯厨房灯', 5);
    expect(cjk).toEqual(['厨房', '灯厨', '房灯', '厨房', '灯']);
    for (const line of wrap(`see ${'🔥'.repeat(12)} now`, 7)) expect(cellWidth(line)).toBeLessThanOrEqual(7);
    expect(wrap('', 10)).toEqual(['']);
    // leading and inner runs of spaces are kept: they align labels and values
    expect(wrap('  $name    Kitchen light', 30)).toEqual(['  $name    Kitchen light']);
    expect(wrap('  $name    Kitchen light', 14, '    ')).toEqual(['  $name   ', '    Kitchen', '    light']);
  });

  it('flows parts onto lines, keeping a part whole when it fits on a line of its own', () => {
    const parts = ['4 firmware files, 3 names', 'drop .bin files into /srv/homie-ota/firmwares', 'upload: curl -F upload=@x.bin http://192.168.100.200:9080/upload'];
    expect(flow(parts, 200)).toEqual([parts.join(' · ')]);
    expect(flow(parts, 80)).toEqual(['4 firmware files, 3 names · drop .bin files into /srv/homie-ota/firmwares', parts[2]]);
    expect(flow(parts, 70)).toEqual(parts);
    // wider than a line: wrapped, continuation indented
    expect(flow(parts, 50)).toEqual([parts[0], parts[1], 'upload: curl -F upload=@x.bin', '  http://192.168.100.200:9080/upload']);
  });
});

describe('untrusted text made printable', () => {
  it('shows invisible separators as escapes: they would make names look alike and shift columns', () => {
    expect(printable('kitchen\u200b-light')).toBe('kitchen\\x200b-light');
    expect(printable('a\u2060b\ufeffc\u00add')).toBe('a\\x2060b\\xfeffc\\xadd');
    // joiners inside emoji and scripts are not separators
    expect(printable('👨‍👩‍👧')).toBe('👨‍👩‍👧');
  });

  it('never cuts an emoji in half', () => {
    expect(truncate('ab🔥cd', 4)).toBe('ab…');
    expect(truncate('ab🔥cd', 5)).toBe('ab🔥…');
  });
});
