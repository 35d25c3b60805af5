/**
 * Splits terminal input into single keys, as they were pressed: a CSI sequence (`ESC [ … final`,
 * arrows, PgUp, Shift+Tab) or an SS3 sequence (`ESC O x`, arrows and Home/End in application mode)
 * is one key; every other code point is a key of its own, including a lone ESC (so "Esc, then q"
 * typed ahead stays two keys, not Alt+q, which homie-ota does not use).
 *
 * A sequence cut at the end of the data (`ESC`, `ESC [`, `ESC [ 5`) is returned as `rest`: the rest of
 * it may still be on its way. The caller waits a moment for more, then calls `flushRest` to take it as
 * typed: ESC alone, then each character.
 */
export interface Tokens {
  readonly keys: string[];
  /** an escape sequence cut short at the end of the data, to complete with the next data */
  readonly rest: string;
}

const ESC = '\u001B';

const isParameter = (code: number) => code >= 0x30 && code <= 0x3f;
const isIntermediate = (code: number) => code >= 0x20 && code <= 0x2f;
const isFinal = (code: number) => code >= 0x40 && code <= 0x7e;

/** Length of the escape sequence at `start`, 0 when it is not one, -1 when it is cut short. */
function sequenceLength(data: string, start: number): number {
  const kind = data[start + 1];
  if (kind === undefined) return -1;
  if (kind === 'O') {
    const final = data.charCodeAt(start + 2);
    if (Number.isNaN(final)) return -1;
    return isFinal(final) ? 3 : 0;
  }
  if (kind !== '[') return 0;
  let i = start + 2;
  // the Linux console's function keys: ESC [ [ A
  if (data[i] === '[') i++;
  for (; i < data.length; i++) {
    const code = data.charCodeAt(i);
    if (isParameter(code) || isIntermediate(code)) continue;
    return isFinal(code) ? i + 1 - start : 0;
  }
  return -1;
}

export function tokenize(data: string): Tokens {
  const keys: string[] = [];
  let i = 0;
  while (i < data.length) {
    if (data[i] === ESC) {
      const length = sequenceLength(data, i);
      if (length < 0) return {keys, rest: data.slice(i)};
      const size = Math.max(1, length);
      keys.push(data.slice(i, i + size));
      i += size;
      continue;
    }
    const code = data.codePointAt(i)!;
    const size = code > 0xffff ? 2 : 1;
    keys.push(data.slice(i, i + size));
    i += size;
  }
  return {keys, rest: ''};
}

/** A cut sequence that will not be completed: ESC alone, then each of its characters as typed. */
export function flushRest(rest: string): string[] {
  // a cut sequence holds no second ESC (tokenize ends a sequence at one), so its tail is plain keys
  return rest ? [ESC, ...tokenize(rest.slice(1)).keys] : [];
}
