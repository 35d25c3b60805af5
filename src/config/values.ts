import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {reservedClash} from '../engine/http/reserved.js';
import {kindOf} from '../engine/util/safe-file.js';
import {parseBoolean} from './ini.js';
import type {Kind, KeySpec} from './schema.js';

/**
 * The check of one value by its kind: from the text given (trimmed; the default when not given) to
 * the value homie-ota uses, or the problem, which is what the user reads after the key's name and
 * value. Checks of files read the disk but create and change nothing.
 */
export type ValueCheck = (text: string) => CheckResult;
export type CheckResult = {readonly ok: true; readonly value: unknown} | {readonly ok: false; readonly problem: string};

type Check<T> = (text: string, problem: (message: string) => void) => T;

/** The check that runs `check`; the first problem it reports is the result. */
function checked<T>(check: Check<T>): ValueCheck {
  return text => {
    let message: string | null = null;
    const value = check(text, m => (message ??= m));
    return message === null ? {ok: true, value} : {ok: false, problem: message};
  };
}

const bool = checked((text, problem) => parseBoolean(text) ?? problem('expected true or false (also yes/no, on/off, 1/0)'));

function whole(min: number, max: number, what: string) {
  return checked((text, problem) => {
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) problem(`${what}; use a whole number from ${min} to ${max}`);
    return Number(text);
  });
}

function size(min: number, max: number) {
  return checked((text, problem) => {
    const m = /^(\d+)\s*(k|m|g)?i?b?$/i.exec(text);
    if (!m || Number(m[1]) === 0) return problem('not a size; write bytes, or a number with K or M, e.g. 4M');
    const bytes = parseSize(text);
    if (bytes < min || bytes > max) problem(`${bytes > max ? 'more than the largest' : 'less than the smallest'} size homie-ota accepts here; use ${humanSize(min)} to ${humanSize(max)}`);
    return bytes;
  });
}

const endpoint = checked((text, problem) => {
  const clash = reservedClash(text);
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(text) || text.includes('..')) problem('must be a URL path starting with /, e.g. /ota');
  else if (clash) problem(`collides with homie-ota's own ${clash} routes (update clients would get their answers instead of firmware); choose another path, e.g. /ota`);
  return text;
});

const list = checked((text, problem) => {
  const prefixes = parsePrefixes(text);
  if ('error' in prefixes) return problem(prefixes.error);
  return prefixes;
});

const names = checked((text, problem) => {
  const list = text.split(',').map(n => n.trim()).filter(n => n !== '');
  const bad = list.find(n => !/^[A-Za-z0-9._+~-]{1,32}$/.test(n));
  if (bad) problem(`"${bad}" is not a firmware name (letters, digits and . _ + ~ -, at most 32); give names as in Homie_setFirmware(), e.g. relay, sensor`);
  return [...new Set(list)];
});

/** WATCH patterns: ~ is the home folder, a relative pattern is taken from the working folder. */
function globs(cwd: string) {
  return checked((text, problem) => {
    const patterns = splitPatterns(text).map(p => path.resolve(cwd, p.replace(/^~(?=$|\/)/, os.homedir())));
    const bad = patterns.find(p => p.includes('\0'));
    if (bad) problem('a pattern contains a NUL character');
    return patterns;
  });
}

/** Patterns one per line (repeated flags) or comma-separated; a comma inside {a,b} belongs to the pattern. */
export function splitPatterns(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let depth = 0;
    let current = '';
    for (const c of line) {
      if (c === '{') depth++;
      if (c === '}') depth = Math.max(0, depth - 1);
      if (c === ',' && depth === 0) {
        out.push(current);
        current = '';
      } else current += c;
    }
    out.push(current);
  }
  return [...new Set(out.map(p => p.trim()).filter(p => p !== ''))];
}

const topic = checked((text, problem) => {
  const trimmed = text.replace(/\/+$/, '');
  if (!trimmed || /[+#]/.test(trimmed)) problem('must be a topic without + or #, e.g. homie-ota');
  return trimmed;
});

/** A PEM file that must be readable: its absolute path, or undefined when unset. */
function readableFile(key: string, cwd: string) {
  return checked((text, problem) => {
    if (!text) return undefined;
    const file = path.resolve(cwd, text);
    try {
      fs.accessSync(file, fs.constants.R_OK);
      const stat = fs.statSync(file);
      if (!stat.isFile()) problem(`${file} is ${kindOf(stat)}, not a regular file; point ${key} at the PEM file itself`);
    } catch (error) {
      problem(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); fix the path or its permissions`);
    }
    return file;
  });
}

/** The log file: an absolute path homie-ota may append to, or null for none ("none", empty or /dev/null). */
function logFile(cwd: string) {
  return checked((text, problem) => {
    // /dev/null, as some set it to turn logging off, means "none" (it is not a file homie-ota could append to)
    if (!text || text.toLowerCase() === 'none' || path.resolve(cwd, text) === '/dev/null') return null;
    const file = path.resolve(cwd, text);
    const stat = fs.statSync(file, {throwIfNoEntry: false});
    if (stat && !stat.isFile()) {
      problem(`${file} is ${kindOf(stat)}, not a regular file; homie-ota appends its log only to a file: choose a file path, or "none" (under systemd the headless output already goes to the journal)`);
      return file;
    }
    try {
      fs.accessSync(path.dirname(file), fs.constants.W_OK);
      if (stat) fs.accessSync(file, fs.constants.W_OK);
    } catch (error) {
      problem(`cannot write ${file} (${(error as NodeJS.ErrnoException).code}); choose a writable path or "none"`);
    }
    return file;
  });
}

const text = checked(given => given);

/** The check that converts `spec`'s value; `cwd` resolves relative paths. */
export function valueCheck(spec: KeySpec, cwd: string): ValueCheck {
  const [min, max] = spec.range ?? [0, 0];
  const byKind: Record<Kind, () => ValueCheck> = {
    bool: () => bool,
    port: () => whole(0, 65535, 'not a port number (0 picks any free port)'),
    int: () => whole(min, max, spec.what ?? 'not a valid number'),
    size: () => size(min, max),
    host: () => checked(given => given || spec.default),
    dir: () => checked(given => path.resolve(cwd, given || spec.default)),
    string: () => text,
    broker: () => text,
    endpoint: () => endpoint,
    list: () => list,
    names: () => names,
    globs: () => globs(cwd),
    topic: () => topic,
    file: () => readableFile(spec.key, cwd),
    path: () => logFile(cwd),
  };
  return byKind[spec.kind]();
}

export function humanSize(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3}G` : bytes >= 1024 ** 2 ? `${bytes / 1024 ** 2}M` : `${bytes / 1024}K`;
}

export function parseSize(text: string): number {
  const m = /^(\d+)\s*(k|m|g)?/i.exec(text.trim());
  if (!m) return NaN;
  const unit = (m[2] ?? '').toLowerCase();
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}

export function parsePrefixes(text: string): string[] | {error: string} {
  const list = text.split(',').map(p => p.trim().replace(/\/+$/, '')).filter(p => p !== '');
  if (list.length === 0) return {error: 'needs at least one base topic, e.g. homie'};
  for (const p of list) {
    if (/[+#\0]/.test(p)) return {error: `"${p}" contains + or #; give plain topic prefixes such as homie,devices`};
  }
  return [...new Set(list)];
}
