/**
 * The one command-line parser of homie-ota and its sub-commands: each command describes its flags
 * once (name, type, placeholder, help line), and from that come the parsing, the check for unknown
 * options and the options part of the command's --help. A few lines of its own rather than a parser
 * package: the command line is read once, and a package for it cost about 8 MB of resident memory
 * for as long as homie-ota runs.
 */
export interface CommandFlag {
  /** as typed, without the dashes: "http-port"; "no-watch" for a boolean that is on unless turned off */
  readonly name: string;
  readonly type: 'string' | 'boolean';
  /** the value's placeholder in --help: "N", "FILE" */
  readonly arg?: string;
  /** the line in --help; further lines after a newline */
  readonly help: string;
  /** a string flag that may be given more than once */
  readonly multiple?: boolean;
  /** a one-letter alias, e.g. h for help */
  readonly short?: string;
}

/** The name a flag's value is read under: http-port → httpPort, no-watch → watch. */
export function optionName(name: string): string {
  return name.replace(/^no-/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The options part of --help: one row per flag, its help aligned after the widest flag column. */
export function optionRows(flags: readonly CommandFlag[], width: number): string {
  return flags.map(flag => {
    const [first, ...more] = flag.help.split('\n');
    const head = `    ${`--${flag.name}${flag.arg ? ` ${flag.arg}` : ''}`.padEnd(width)}${first}`;
    return [head, ...more.map(line => `    ${' '.repeat(width)}${line}`)].join('\n');
  }).join('\n');
}

/** The first option in `argv` the command does not know, or a string flag given without its value. */
function misuse(argv: readonly string[], flags: readonly CommandFlag[]): string | null {
  const end = argv.indexOf('--');
  const args = end < 0 ? argv : argv.slice(0, end);
  for (const [index, arg] of args.entries()) {
    if (/^--./.test(arg)) {
      const name = arg.slice(2).split('=')[0]!;
      const flag = flags.find(f => f.name === name) ?? flags.find(f => f.type === 'boolean' && (f.name === `no-${name}` || `no-${f.name}` === name));
      if (!flag) return `unknown option ${arg.split('=')[0]}`;
      const next = args[index + 1];
      if (flag.type === 'string' && !arg.includes('=') && (next === undefined || next.startsWith('-'))) return `${arg} needs a value`;
    } else if (/^-[^-\d]/.test(arg)) {
      const letter = [...arg.slice(1)].find(c => !flags.some(f => f.short === c));
      if (letter !== undefined) return `unknown option -${letter}`;
    }
  }
  return null;
}

/** The values given, by the flag's option name (httpPort, fault); a multiple flag gives an array. */
export type FlagValues = Readonly<Record<string, string | boolean | Array<string | boolean> | undefined>>;

export type Parsed =
  | {readonly ok: true; readonly flags: FlagValues; readonly input: readonly string[]}
  | {readonly ok: false; readonly error: string};

type Value = string | boolean | Array<string | boolean>;

/**
 * Every flag at its value when not given: booleans off (a no-… flag on), a repeatable flag empty. A
 * repeatable flag and a switch may share a name (--watch PATTERN and --no-watch): the list wins, and
 * the switch arrives in it as a boolean.
 */
function defaults(flags: readonly CommandFlag[]): Record<string, Value> {
  const values: Record<string, Value> = {};
  for (const flag of flags) if (flag.multiple) values[optionName(flag.name)] = [];
  for (const flag of flags) if (flag.type === 'boolean') values[optionName(flag.name)] ??= flag.name.startsWith('no-');
  return values;
}

/** A boolean's value from `--flag`, `--no-flag`, `--flag=false`: off when negated or given false or 0. */
function switchValue(negated: boolean, given: string | undefined): boolean {
  const on = given === undefined || !/^(false|0)$/i.test(given);
  return negated ? !on : on;
}

/** Parse `argv` against a command's flags; an unknown option or a misused flag is an error to show, never an exit. */
export function parseCommandLine(argv: readonly string[], flags: readonly CommandFlag[]): Parsed {
  const problem = misuse(argv, flags);
  if (problem) return {ok: false, error: problem};
  const values = defaults(flags);
  const seen = new Set<string>();
  const input: string[] = [];
  const set = (flag: CommandFlag, value: string | boolean): string | null => {
    const key = optionName(flag.name);
    const list = values[key];
    if (Array.isArray(list)) list.push(value);
    else if (flag.type === 'string' && seen.has(key)) return `--${flag.name} can only be set once`;
    else values[key] = value;
    seen.add(key);
    return null;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      input.push(...argv.slice(i + 1));
      break;
    }
    let error: string | null = null;
    if (/^--./.test(arg)) {
      const [name, ...rest] = arg.slice(2).split('=');
      const given = rest.length > 0 ? rest.join('=') : undefined;
      // --watch for a flag named no-watch, --no-json for json (misuse() made sure one exists)
      const flag = flags.find(f => f.name === name) ?? flags.find(f => f.type === 'boolean' && (f.name === `no-${name}` || `no-${f.name}` === name))!;
      if (flag.type === 'string') error = set(flag, given ?? argv[++i]!);
      else error = set(flag, switchValue(name === `no-${flag.name.replace(/^no-/, '')}`, given));
    } else if (/^-[^-\d]/.test(arg)) {
      for (const letter of arg.slice(1)) error ??= set(flags.find(f => f.short === letter)!, true);
    } else {
      input.push(arg);
    }
    if (error) return {ok: false, error};
  }
  return {ok: true, flags: values, input};
}
