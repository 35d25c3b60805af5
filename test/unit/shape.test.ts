import {describe, expect, it} from 'vitest';
import {bool, checkShape, list, nullable, num, object, oneOf, optional, record, str} from '../../src/engine/util/shape.js';

const entry = object({
  id: str({max: 8}),
  md5: optional(str({pattern: /^[0-9a-f]{4}$/})),
  size: num({whole: true, min: 0}),
  slots: optional(num({whole: true, min: 1, max: 64})),
  window: optional(nullable(object({start: str()}))),
  at: num(),
  gzip: bool,
  state: oneOf(['done', 'failed']),
  notes: list(str(), 2),
});

describe('the checks of homie-ota\'s own state files', () => {
  it('gives a copy with only the keys the shape names, optional ones left out when missing', () => {
    const value = {id: 'a', size: 3, at: -1.5, gzip: false, state: 'done', notes: ['x'], extra: {deep: 1}};
    expect(checkShape(entry, value)).toEqual({ok: true, value: {id: 'a', size: 3, at: -1.5, gzip: false, state: 'done', notes: ['x']}});
    expect(checkShape(entry, {...value, md5: 'beef'})).toMatchObject({ok: true, value: {md5: 'beef'}});
  });

  it('says where a value went wrong', () => {
    const good = {id: 'a', size: 3, at: 0, gzip: true, state: 'failed', notes: []};
    const problem = (value: unknown) => {
      const result = checkShape(list(entry), value);
      return result.ok ? null : result.problem;
    };
    expect(problem({})).toBe('the file: expected a list, found object');
    expect(problem([good, {...good, size: 1.5}])).toBe('[1].size: expected a whole number from 0');
    expect(problem([{...good, slots: 65}])).toBe('[0].slots: expected a whole number from 1 to 64');
    expect(problem([{...good, window: {start: 1}}])).toBe('[0].window.start: expected a string, found number');
    expect(checkShape(entry, {...good, window: null})).toMatchObject({ok: true, value: {window: null}});
    expect(problem([{...good, size: -1}])).toBe('[0].size: expected a whole number from 0');
    expect(problem([{...good, at: '0'}])).toBe('[0].at: expected a number, found string');
    expect(problem([{...good, gzip: null}])).toBe('[0].gzip: expected true or false, found null');
    expect(problem([{...good, state: 'sent'}])).toBe('[0].state: expected one of done, failed, found string');
    expect(problem([{...good, id: 'far too long'}])).toBe('[0].id: longer than 8 characters');
    expect(problem([{...good, md5: 'BEEF'}])).toBe('[0].md5: not in the expected form');
    expect(problem([{...good, notes: ['a', 'b', 'c']}])).toBe('[0].notes: more than 2 entries');
    expect(problem([{...good, notes: [1]}])).toBe('[0].notes[0]: expected a string, found number');
    const {id: _, ...noId} = good;
    expect(problem([noId])).toBe('[0].id: expected a string, found undefined');
  });

  it('keeps a record\'s keys as plain keys, "__proto__" included', () => {
    const result = checkShape(record(list(num())), JSON.parse('{"__proto__": [1], "homie/a": [2, 3]}'));
    expect(result.ok).toBe(true);
    const value = (result as {value: Record<string, number[]>}).value;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'homie/a']);
    expect(checkShape(record(num()), {a: 'x'})).toEqual({ok: false, problem: '["a"]: expected a number, found string'});
  });
});
