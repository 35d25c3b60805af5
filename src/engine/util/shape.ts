/**
 * Checks of the JSON homie-ota reads back from its own state files (jobs.json, the firmware cache): a
 * shape takes a parsed value and gives a copy holding only the keys it names, or throws ShapeError
 * saying where the value went wrong. A few lines of homie-ota's own rather than a schema package:
 * these files are read once at start, and a package for it cost about 10 MB of resident memory for
 * as long as homie-ota runs.
 */
export type Shape<T> = (value: unknown, at: string) => T;

export class ShapeError extends Error {}

function fail(at: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  throw new ShapeError(`${at || 'the file'}: expected ${expected}, found ${got}`);
}

/** The value as `shape` reads it, or the problem. */
export function checkShape<T>(shape: Shape<T>, value: unknown): {ok: true; value: T} | {ok: false; problem: string} {
  try {
    return {ok: true, value: shape(value, '')};
  } catch (error) {
    if (error instanceof ShapeError) return {ok: false, problem: error.message};
    throw error;
  }
}

/** A string, at most `max` characters, matching `pattern` when given. */
export function str(options: {max?: number; pattern?: RegExp} = {}): Shape<string> {
  return (value, at) => {
    if (typeof value !== 'string') fail(at, 'a string', value);
    if (options.max !== undefined && value.length > options.max) throw new ShapeError(`${at}: longer than ${options.max} characters`);
    if (options.pattern && !options.pattern.test(value)) throw new ShapeError(`${at}: not in the expected form`);
    return value;
  };
}

/** A finite number; with `whole` a whole one; not below `min` nor above `max` when given. */
export function num(options: {whole?: boolean; min?: number; max?: number} = {}): Shape<number> {
  const {whole = false, min = -Infinity, max = Infinity} = options;
  return (value, at) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(at, 'a number', value);
    if ((whole && !Number.isInteger(value)) || value < min || value > max) {
      const range = [min > -Infinity ? `from ${min}` : '', max < Infinity ? `to ${max}` : ''].filter(Boolean).join(' ');
      throw new ShapeError(`${at}: expected a ${whole ? 'whole ' : ''}number${range ? ` ${range}` : ''}`);
    }
    return value;
  };
}

export const bool: Shape<boolean> = (value, at) => (typeof value === 'boolean' ? value : fail(at, 'true or false', value));

/** One of the given strings (or numbers). */
export function oneOf<const T extends string | number>(choices: readonly T[]): Shape<T> {
  return (value, at) => (choices.includes(value as T) ? (value as T) : fail(at, `one of ${choices.join(', ')}`, value));
}

/** `shape`, or null. */
export function nullable<T>(shape: Shape<T>): Shape<T | null> {
  return (value, at) => (value === null ? null : shape(value, at));
}

/** `shape`, or nothing: undefined stays undefined. */
export function optional<T>(shape: Shape<T>): Shape<T | undefined> {
  return (value, at) => (value === undefined ? undefined : shape(value, at));
}

/** A list of `shape`, at most `max` long when given. */
export function list<T>(shape: Shape<T>, max?: number): Shape<T[]> {
  return (value, at) => {
    if (!Array.isArray(value)) fail(at, 'a list', value);
    if (max !== undefined && value.length > max) throw new ShapeError(`${at}: more than ${max} entries`);
    return value.map((item, i) => shape(item, `${at}[${i}]`));
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object with these keys (the optional ones may be missing); keys it does not name are left out. */
export function object<T extends Record<string, unknown>>(fields: {[K in keyof T]: Shape<T[K]>}): Shape<T> {
  return (value, at) => {
    if (!isRecord(value)) fail(at, 'an object', value);
    const result: Record<string, unknown> = {};
    for (const [key, shape] of Object.entries(fields) as Array<[string, Shape<unknown>]>) {
      const field = shape(Object.hasOwn(value, key) ? value[key] : undefined, at ? `${at}.${key}` : key);
      if (field !== undefined) result[key] = field;
    }
    return result as T;
  };
}

/** An object whose every value is a `shape`, keyed by any string. */
export function record<T>(shape: Shape<T>): Shape<Record<string, T>> {
  return (value, at) => {
    if (!isRecord(value)) fail(at, 'an object', value);
    const result: Record<string, T> = {};
    // defined, not assigned: a key "__proto__" (JSON.parse makes it an own key) stays a plain key
    for (const [key, item] of Object.entries(value)) Object.defineProperty(result, key, {value: shape(item, `${at}[${JSON.stringify(key)}]`), enumerable: true, writable: true, configurable: true});
    return result;
  };
}
