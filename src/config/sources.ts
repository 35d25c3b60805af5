import fs from 'node:fs';
import path from 'node:path';
import {optionName} from '../args.js';
import {NotRegularFileError, readRegularFileSync} from '../engine/util/safe-file.js';
import {printable} from '../engine/util/text.js';
import {parseIni} from './ini.js';
import {KEYS, spec} from './schema.js';

/** Command-line flags that override the INI file (all optional, as given by the user). */
export interface CliOverrides {
  readonly config?: string;
  readonly mqtt?: string;
  readonly brokerPort?: string;
  readonly prefix?: string;
  readonly httpHost?: string;
  readonly httpPort?: string;
  readonly firmwareDir?: string;
  readonly logFile?: string;
  readonly concurrency?: string;
  readonly debug?: boolean;
  /** false when --no-watch was given; the --watch patterns (a false among them for --no-watch) */
  readonly watch?: boolean | ReadonlyArray<string | boolean>;
  readonly headless?: boolean;
  readonly readonly?: boolean;
  readonly demo?: boolean;
}

interface Value {
  readonly raw: string;
  /** where the value came from, for messages: "homie-ota.ini", "$LOGFILE" or "--http-port" */
  readonly from: string;
}

/** A homie-ota.ini is a few dozen lines; a file this large is not one. */
const MAX_INI_BYTES = 1024 * 1024;

/** The values given for the table's keys (by the INI file, the environment or a flag), and where each came from. */
export class GivenValues {
  readonly #values = new Map<string, Value>();

  set(key: string, raw: string, from: string): void {
    this.#values.set(key, {raw, from});
  }

  has(key: string): boolean {
    return this.#values.has(key);
  }

  /** The text to read: the value given, else the table's default; trimmed. */
  text(key: string): string {
    return (this.#values.get(key)?.raw ?? spec(key).default).trim();
  }

  /** Whether the key has a non-empty value. */
  isSet(key: string): boolean {
    return this.text(key) !== '';
  }

  /** The key as messages name it: "[global] OTA_PORT (homie-ota.ini)", "--http-port" or "[global] OTA_PORT". */
  where(key: string): string {
    const s = spec(key);
    const v = this.#values.get(key);
    if (!v || !v.from.endsWith('.ini')) return v ? v.from : `[${s.section}] ${key}`;
    return `[${s.section}] ${key} (${v.from})`;
  }

  /** `where` and the value as given, the start of a message about it (a secret, or a default nobody gave, is not quoted). */
  label(key: string): string {
    const v = this.#values.get(key);
    return `${this.where(key)}${spec(key).secret || !v ? '' : ` "${v.raw}"`}`;
  }
}

export type Gathered =
  | {readonly ok: true; readonly file: string | null; readonly given: GivenValues; readonly errors: string[]; readonly warnings: string[]}
  | {readonly ok: false; readonly error: string};

/** Where the INI file comes from: --config, then $INIFILE, then ./homie-ota.ini, else none. */
function locateIni(flags: CliOverrides, env: NodeJS.ProcessEnv, cwd: string): {file: string | null; error?: string} {
  if (flags.config) {
    const file = path.resolve(cwd, flags.config);
    return fs.existsSync(file) ? {file} : {file: null, error: `--config ${flags.config}: no such file; give the path of your homie-ota.ini (see homie-ota.example.ini)`};
  }
  if (env.INIFILE) {
    const file = path.resolve(cwd, env.INIFILE);
    return fs.existsSync(file) ? {file} : {file: null, error: `$INIFILE ${env.INIFILE}: no such file; unset INIFILE or point it at your homie-ota.ini`};
  }
  const local = path.resolve(cwd, 'homie-ota.ini');
  return {file: fs.existsSync(local) ? local : null};
}

/** The INI file's text, or the one line that says why it cannot be read. */
function readIniText(file: string): {text: string} | {error: string} {
  try {
    // never blocks: a FIFO at that path is refused, not opened for a read that waits for a writer
    const size = fs.statSync(file).size;
    if (size > MAX_INI_BYTES) return {error: printable(`${file}: ${Math.round(size / 1024)} KiB is not a homie-ota.ini (a few dozen lines); check the path given with --config or $INIFILE`)};
    return {text: readRegularFileSync(file, {followLinks: true}).toString('utf8')};
  } catch (error) {
    if (error instanceof NotRegularFileError) return {error: printable(`${file} is ${error.kind}, not a regular file; give --config (or $INIFILE) the path of your homie-ota.ini`)};
    return {error: printable(`${file}: cannot read (${(error as NodeJS.ErrnoException).code}); check its permissions`)};
  }
}

/**
 * The table's flags as given: a string flag gives its text, --debug gives true, --no-watch false.
 * A flag given an empty text (`--firmware-dir "$UNSET"`) is an error, not the default: the user
 * named a value and did not get it.
 */
function applyFlags(given: GivenValues, flags: CliOverrides, errors: string[]): void {
  const options = flags as Readonly<Record<string, string | boolean | ReadonlyArray<string | boolean> | undefined>>;
  for (const key of KEYS) {
    // --mqtt takes a URL, not a host name: the broker settings read it
    if (!key.flag || key.kind === 'broker') continue;
    const given1 = options[optionName(key.flag.slice(2))];
    const turnsOff = key.flag.startsWith('--no-');
    // a repeatable flag gives an array: its texts, one per line (--no-watch shares it as a false)
    if (Array.isArray(given1)) {
      const texts = given1.filter((v): v is string => typeof v === 'string');
      if (key.kind !== 'bool' && texts.some(t => t.trim() === '')) errors.push(emptyFlag(key.flag));
      if (key.kind === 'globs' && texts.length > 0) given.set(key.key, texts.join('\n'), key.flag);
      if (key.kind === 'bool' && given1.includes(!turnsOff)) given.set(key.key, String(!turnsOff), key.flag);
      continue;
    }
    const value = given1 as string | boolean | undefined;
    if (key.kind !== 'bool' && typeof value === 'string' && value.trim() === '') errors.push(emptyFlag(key.flag));
    else if (key.kind !== 'bool' && typeof value === 'string') given.set(key.key, value, key.flag);
    if (key.kind === 'bool' && value === !turnsOff) given.set(key.key, String(!turnsOff), key.flag);
  }
}

/** Every value given for a key of the table: from the INI file, then $LOGFILE, then the flags (which win). */
export function gatherValues(flags: CliOverrides, env: NodeJS.ProcessEnv, cwd: string): Gathered {
  const given = new GivenValues();
  const errors: string[] = [];
  const warnings: string[] = [];
  const located = locateIni(flags, env, cwd);
  if (located.error) return {ok: false, error: located.error};
  if (located.file) {
    const read = readIniText(located.file);
    if ('error' in read) return {ok: false, error: read.error};
    const name = path.basename(located.file);
    const ini = parseIni(read.text);
    for (const problem of ini.problems) errors.push(`${name} ${problem}`);
    for (const [section, entries] of ini.sections) {
      for (const [key, raw] of entries) {
        const known = KEYS.find(k => k.key === key);
        if (known && (known.section === section || section === 'default')) given.set(key, raw, name);
        else if (key !== 'DEBUG_SENSOR') warnings.push(`[${section}] ${key} is not a homie-ota setting; it is ignored`);
      }
    }
  }
  if (env.LOGFILE && !given.has('LOG_FILE')) given.set('LOG_FILE', env.LOGFILE, '$LOGFILE');
  applyFlags(given, flags, errors);
  return {ok: true, file: located.file, given, errors, warnings};
}

function emptyFlag(flag: string): string {
  return `${flag} "": an empty value (an unset variable?); give a value, or leave ${flag} out for the default`;
}
