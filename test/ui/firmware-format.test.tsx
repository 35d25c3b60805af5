import {describe, expect, it} from 'vitest';
import {editLine, type LineState} from '../../src/ui/views/firmware/description-prompt.js';
import {headerLine, rowLine, tableLayout} from '../../src/ui/views/firmware/format.js';
import type {FirmwareRow} from '../../src/store/firmware-slice.js';
import type {FirmwareRecord} from '../../src/engine/firmware/store.js';
import {firmwareRecord} from '../helpers/snapshots.js';

function row(name: string, version: string, extra: Partial<FirmwareRecord> = {}, firstOfName = true, devices = 0): FirmwareRow {
  const record = firmwareRecord(name, version, {added: Date.UTC(2025, 0, 5, 10, 0), ...extra});
  return {record, devices, firstOfName, path: `/srv/firmwares/${record.file}`, deleteRefusal: null};
}

describe('the line editor of the description prompt', () => {
  const type = (state: LineState, ...inputs: string[]) => inputs.reduce((s, input) => editLine(s, input, {}) ?? s, state);

  it('inserts at the cursor, moves, deletes and clears', () => {
    let s: LineState = {value: '', cursor: 0};
    s = type(s, 'h', 'l', 'o');
    expect(s).toEqual({value: 'hlo', cursor: 3});
    s = editLine(s, '', {leftArrow: true})!;
    s = editLine(s, '', {leftArrow: true})!;
    s = type(s, 'e');
    expect(s).toEqual({value: 'helo', cursor: 2});
    s = editLine(s, '', {end: true})!;
    s = editLine(s, '', {delete: true})!;
    expect(s).toEqual({value: 'hel', cursor: 3});
    s = editLine(s, 'a', {ctrl: true})!;
    expect(s.cursor).toBe(0);
    expect(editLine(s, '', {backspace: true})).toEqual(s);
    expect(editLine(s, 'u', {ctrl: true})).toEqual({value: '', cursor: 0});
  });

  it('takes a pasted chunk whole, turns newlines into spaces and drops control characters', () => {
    expect(editLine({value: '', cursor: 0}, 'two\nlines\u001b[31m', {})).toEqual({value: 'two lines[31m', cursor: 13});
  });

  it('keeps every key when several arrive before a redraw (each edit starts from the last result)', () => {
    const s = type({value: '', cursor: 0}, ...'fast typing over ssh'.split(''));
    expect(s.value).toBe('fast typing over ssh');
  });

  it('ignores keys it does not use', () => {
    expect(editLine({value: 'x', cursor: 1}, 'x', {meta: true})).toBeNull();
    expect(editLine({value: 'x', cursor: 1}, '', {})).toBeNull();
  });
});

describe('firmware table rows', () => {
  it('fits every row to the width, with the name only on the first row of its group', () => {
    const rows = [row('relay', '1.1.0', {description: 'a long description that will not fit'}), row('relay', '1.0.0', {}, false, 3), row('cam', '0.9.1', {chip: 'esp32s3', gzip: true})];
    for (const width of [40, 56, 72, 80, 100, 160]) {
      const layout = tableLayout(rows, width);
      expect(headerLine(layout).length).toBe(width);
      for (const r of rows) expect(rowLine(r, layout, Date.UTC(2025, 5, 1)).length).toBe(width);
    }
    const layout = tableLayout(rows, 100);
    expect(rowLine(rows[1]!, layout, Date.UTC(2025, 5, 1))).toMatch(/^ +1\.0\.0 +410\.2 KiB esp8266 +abcdef01 2025-01-05 +3/);
    expect(headerLine(tableLayout(rows, 60))).not.toMatch(/MD5|ADDED/);
  });

  it('shows when a file was added as the time today and the date another day, in the one format of the dashboard', () => {
    const now = new Date(2025, 5, 1, 12, 0).getTime();
    const layout = tableLayout([row('x', '1.0')], 100);
    expect(rowLine(row('x', '1.0', {added: new Date(2025, 5, 1, 9, 5, 7).getTime()}), layout, now)).toContain(' 09:05:07 ');
    expect(rowLine(row('x', '1.0', {added: new Date(2025, 2, 7, 9, 5).getTime()}), layout, now)).toContain(' 2025-03-07 ');
  });

  it('shows escape sequences from descriptions as text, never raw', () => {
    const layout = tableLayout([row('x', '1.0', {description: '\u001b[2Jgone'})], 120);
    expect(rowLine(row('x', '1.0', {description: '\u001b[2Jgone'}), layout, 0)).not.toContain('\u001b');
  });
});
