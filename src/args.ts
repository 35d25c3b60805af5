import meow, {type AnyFlag} from 'meow';

/**
 * The one command-line parser of homie-ota and its sub-commands: each command describes its flags
 * once (name, type, placeholder, help line), and from that come meow's flags, the check for unknown
 * options and the options part of the command's --help.
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

type MeowFlags = Record<string, AnyFlag>;

/** meow's name of a flag: http-port → httpPort, no-watch → watch. */
export function optionName(name: string): string {
  return name.replace(/^no-/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** meow's flag definitions for a command's flags. */
function meowFlags(flags: readonly CommandFlag[]): MeowFlags {
  const result: MeowFlags = {};
  for (const flag of flags) {
    const short = flag.short ? {shortFlag: flag.short} : {};
    // --watch PATTERN (repeatable) and --no-watch share meow's name: the repeatable string wins, and
    // --no-watch then arrives as a false in its array
    if (result[optionName(flag.name)] && flag.type === 'boolean') continue;
    result[optionName(flag.name)] = flag.type === 'string'
      ? (flag.multiple ? {type: 'string', isMultiple: true, ...short} : {type: 'string', ...short})
      // --no-watch: the flag is watch, true unless turned off
      : {type: 'boolean', ...short, ...(flag.name.startsWith('no-') ? {default: true} : {})};
  }
  return result;
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

/** The values given, by meow's name (httpPort, fault); a multiple flag gives an array. */
export type FlagValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

export type Parsed =
  | {readonly ok: true; readonly flags: FlagValues; readonly input: readonly string[]}
  | {readonly ok: false; readonly error: string};

/** Parse `argv` against a command's flags; an unknown option or a misused flag is an error to show, never an exit. */
export function parseCommandLine(argv: readonly string[], flags: readonly CommandFlag[]): Parsed {
  const problem = misuse(argv, flags);
  if (problem) return {ok: false, error: problem};
  try {
    const cli = meow({importMeta: import.meta, argv: [...argv], flags: meowFlags(flags), allowUnknownFlags: true, autoHelp: false, autoVersion: false, description: false});
    return {ok: true, flags: cli.flags as FlagValues, input: cli.input};
  } catch (error) {
    // meow refuses a flag given twice that may be given once
    return {ok: false, error: (error as Error).message};
  }
}
