import {describe, expect, it} from 'vitest';
import {flushRest, tokenize} from '../../src/ui/input/key-tokens.js';

describe('splitting terminal input into keys', () => {
  it.each([
    ['plain text, one key per character', '1/fw:relay\r', ['1', '/', 'f', 'w', ':', 'r', 'e', 'l', 'a', 'y', '\r']],
    ['arrows, PgDn, Shift+Tab and Home as whole sequences', '\u001B[Aj\u001B[6~\u001B[Z\u001B[1;5H', ['\u001B[A', 'j', '\u001B[6~', '\u001B[Z', '\u001B[1;5H']],
    ['SS3 arrows (application mode)', '\u001BOB\u001BOA', ['\u001BOB', '\u001BOA']],
    ['the Linux console\'s function keys', '\u001B[[A', ['\u001B[[A']],
    ['Esc followed by a key stays two keys (not Alt+key)', '\u001Bq', ['\u001B', 'q']],
    ['two Escs', '\u001B\u001Bj', ['\u001B', '\u001B', 'j']],
    ['Esc before an arrow', '\u001B\u001B[B', ['\u001B', '\u001B[B']],
    ['an emoji (two UTF-16 units) is one key', 'a😀b', ['a', '😀', 'b']],
    ['control keys', '\u0003\u0015\u007F\t', ['\u0003', '\u0015', '\u007F', '\t']],
    ['a broken sequence: ESC [ then a control character', '\u001B[\u0001x', ['\u001B', '[', '\u0001', 'x']],
  ])('%s', (_what, data, keys) => {
    expect(tokenize(data)).toEqual({keys, rest: ''});
  });

  it.each([
    ['a lone Esc at the end', 'jj\u001B', ['j', 'j'], '\u001B'],
    ['an arrow cut after ESC [', 'k\u001B[', ['k'], '\u001B['],
    ['PgDn cut after its number', '\u001B[6', [], '\u001B[6'],
    ['SS3 cut after ESC O', '\u001BO', [], '\u001BO'],
  ])('keeps a sequence cut at the end for the next data: %s', (_what, data, keys, rest) => {
    expect(tokenize(data)).toEqual({keys, rest});
  });

  it('completes a cut sequence with the next data', () => {
    const first = tokenize('j\u001B[');
    expect(tokenize(`${first.rest}6~k`).keys).toEqual(['\u001B[6~', 'k']);
  });

  it('takes a cut sequence that never completes as typed: Esc, then each character', () => {
    expect(flushRest('\u001B')).toEqual(['\u001B']);
    expect(flushRest('\u001B[6')).toEqual(['\u001B', '[', '6']);
    expect(flushRest('\u001BO')).toEqual(['\u001B', 'O']);
    expect(flushRest('')).toEqual([]);
  });
});
