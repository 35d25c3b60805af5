import fs from 'node:fs';
import path from 'node:path';
import {fileStamp, writeFileAtomic} from '../util/atomic.js';
import {NotRegularFileError, readRegularFileSync, refuseStateFile} from '../util/safe-file.js';
import {bool, checkShape, nullable, num, object, oneOf, optional, record, str} from '../util/shape.js';
import {StartupError} from '../util/startup-error.js';
import {parseWindow} from '../ota/window.js';
import type {RolloutWindow} from '../ota/types.js';

/** How an automatic rollout of an armed firmware name runs (today's rollout rules, these knobs). */
export interface PolicySettings {
  /** one device first; the rest only when it is verified done */
  readonly canary: boolean;
  /** at most this many of the rollout's devices in a transfer at once (OTA_CONCURRENCY still applies) */
  readonly concurrency: number;
  /** stop the rollout after this many failures */
  readonly maxFailures: number;
  /** only devices running an older version (never a downgrade); off: every device of the name not on it */
  readonly outdatedOnly: boolean;
  /** only devices online when the version is filed; off: offline devices are updated when they return */
  readonly onlineOnly: boolean;
  /** local time of day devices may start in; null: any time */
  readonly window: RolloutWindow | null;
}

/** One firmware name in policies.json. */
export interface StoredPolicy {
  /** false: disarmed by the user (kept so that AUTO_ROLLOUT does not arm it again at the next start) */
  readonly armed: boolean;
  readonly settings: PolicySettings;
  /** the newest version already rolled out or seen when armed: only a newer one starts a rollout */
  readonly handled?: string;
  readonly changedAt: number;
}

export interface StoredPin {
  /** the device id, for showing a pin of a device that is not in the inventory now */
  readonly id: string;
  readonly pinnedAt: number;
}

/** What <firmware folder>/policies.json holds: armed names and pinned devices (by inventory key). */
export interface PoliciesFile {
  readonly policies: Readonly<Record<string, StoredPolicy>>;
  readonly pins: Readonly<Record<string, StoredPin>>;
}

export const POLICIES_FILE = 'policies.json';
export const EMPTY_POLICIES: PoliciesFile = {policies: {}, pins: {}};

export function defaultSettings(concurrency: number): PolicySettings {
  return {canary: true, concurrency, maxFailures: 1, outdatedOnly: true, onlineOnly: false, window: null};
}

const aText = str();
const settingsShape = object({
  canary: bool,
  concurrency: num({whole: true, min: 1, max: 64}),
  maxFailures: num({whole: true, min: 1, max: 10_000}),
  outdatedOnly: bool,
  onlineOnly: bool,
  window: nullable(object({start: aText, end: aText})),
});
const fileShape = object({
  version: oneOf([1]),
  policies: record(object({armed: bool, settings: settingsShape, handled: optional(aText), changedAt: num()})),
  pins: record(object({id: aText, pinnedAt: num()})),
});

/**
 * Check settings given by a person or a program (PUT /api/policies, the arm dialog): each problem
 * names its field, e.g. `concurrency: a whole number from 1 to 64`. Fields left out keep `base`.
 */
export function checkSettings(input: unknown, base: PolicySettings, where = ''): {settings: PolicySettings} | {error: string} {
  if (input === undefined || input === null) return {settings: base};
  if (typeof input !== 'object' || Array.isArray(input)) return {error: `${where || 'settings'}: expected an object of canary, concurrency, maxFailures, outdatedOnly, onlineOnly, window`};
  const given = input as Record<string, unknown>;
  const field = (name: string) => `${where}${where ? '.' : ''}${name}`;
  const known = ['canary', 'concurrency', 'maxFailures', 'outdatedOnly', 'onlineOnly', 'window'];
  const unknown = Object.keys(given).find(k => !known.includes(k));
  if (unknown) return {error: `${field(unknown)}: not a setting; the settings are ${known.join(', ')}`};
  const result: Record<string, unknown> = {...base};
  for (const name of ['canary', 'outdatedOnly', 'onlineOnly'] as const) {
    if (given[name] === undefined) continue;
    if (typeof given[name] !== 'boolean') return {error: `${field(name)}: expected true or false`};
    result[name] = given[name];
  }
  for (const [name, max] of [['concurrency', 64], ['maxFailures', 10_000]] as const) {
    if (given[name] === undefined) continue;
    const value = given[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) return {error: `${field(name)}: expected a whole number from 1 to ${max}`};
    result[name] = value;
  }
  if (given.window !== undefined) {
    if (given.window === null || given.window === '') result.window = null;
    else if (typeof given.window !== 'string') return {error: `${field('window')}: expected "HH:MM-HH:MM" (local time) or null`};
    else {
      const window = parseWindow(given.window);
      if ('error' in window) return {error: `${field('window')}: ${window.error}`};
      result.window = window;
    }
  }
  return {settings: result as unknown as PolicySettings};
}

/**
 * Load policies.json. Missing: nothing armed, nothing pinned. A file that cannot be read or does not
 * match is moved aside (policies.json.bad-<time>) and said; anything there that is not a regular file
 * stops the start (it is neither read nor replaced).
 */
export function loadPolicies(root: string, now: number, readonly: boolean): {data: PoliciesFile; problem?: string} {
  const file = path.join(root, POLICIES_FILE);
  let text: string;
  try {
    text = readRegularFileSync(file).toString('utf8');
  } catch (error) {
    if (error instanceof NotRegularFileError) throw refuseStateFile(error, 'its automatic rollouts and pins');
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {data: EMPTY_POLICIES};
    return aside(file, now, `cannot be read: ${(error as Error).message}`, readonly);
  }
  let parsed: ReturnType<typeof checkShape<PoliciesFile>>;
  try {
    parsed = checkShape(fileShape, JSON.parse(text)) as typeof parsed;
  } catch (error) {
    parsed = {ok: false, problem: (error as Error).message};
  }
  if (!parsed.ok) return aside(file, now, `could not be loaded (${parsed.problem.slice(0, 200)})`, readonly);
  return {data: {policies: parsed.value.policies, pins: parsed.value.pins}};
}

function aside(file: string, now: number, why: string, readonly: boolean): {data: PoliciesFile; problem: string} {
  const name = path.basename(file);
  if (readonly) return {data: EMPTY_POLICIES, problem: `${name} ${why}; left as it is (read-only mode): nothing is armed or pinned`};
  const moved = `${file}.bad-${fileStamp(now)}`;
  try {
    fs.renameSync(file, moved);
  } catch (error) {
    throw new StartupError(`${file} ${why}, and it cannot be moved aside (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); move it away, then start homie-ota again`);
  }
  return {data: EMPTY_POLICIES, problem: `${name} ${why}; kept as ${path.basename(moved)}: nothing is armed or pinned, arm again with a in the Firmware view`};
}

/** Write policies.json atomically (temporary file, fsync, rename). */
export function savePolicies(root: string, data: PoliciesFile): Promise<void> {
  return writeFileAtomic(path.join(root, POLICIES_FILE), `${JSON.stringify({version: 1, ...data}, null, 1)}\n`);
}
