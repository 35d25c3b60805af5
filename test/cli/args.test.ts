import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import {beforeAll, describe, expect, it} from 'vitest';
import {parseCommandLine, type CommandFlag} from '../../src/args.js';
import {MAIN_FLAGS, MAIN_HELP} from '../../src/cli.js';
import {parseSimulateArgs} from '../../src/commands/simulate.js';
import {KEYS} from '../../src/config/schema.js';
import {CLI, ensureBuilt} from '../helpers/pty.js';

const FLAGS: readonly CommandFlag[] = [
  {name: 'port', type: 'string', arg: 'N', help: 'a port'},
  {name: 'tag', type: 'string', multiple: true, help: 'a tag, repeatable'},
  {name: 'no-watch', type: 'boolean', help: 'do not watch'},
  {name: 'json', type: 'boolean', help: 'as JSON'},
  {name: 'help', type: 'boolean', short: 'h', help: 'this help'},
];

describe('the command-line parser every command uses', () => {
  it('reads string, repeated and boolean flags, --no-… and a short alias, and keeps the rest as input', () => {
    expect(parseCommandLine(['--port', '80', '--tag', 'a', '--tag=b', '--no-watch', '-h', 'file.bin'], FLAGS)).toEqual({
      ok: true, flags: {port: '80', tag: ['a', 'b'], watch: false, json: false, help: true}, input: ['file.bin'],
    });
    expect(parseCommandLine(['x'], FLAGS)).toEqual({ok: true, flags: {tag: [], watch: true, json: false, help: false}, input: ['x']});
    // the positive form of a no-… flag, the negated form of any boolean, =false, and = inside a value
    expect(parseCommandLine(['--watch', '--no-json', '--port=a=b', 'y', '-hh'], FLAGS)).toEqual({
      ok: true, flags: {port: 'a=b', tag: [], watch: true, json: false, help: true}, input: ['y'],
    });
    expect(parseCommandLine(['--json=false', '--no-watch=false', '--help=1'], FLAGS)).toMatchObject({ok: true, flags: {json: false, watch: true, help: true}});
  });

  it('reads a repeatable flag and a switch of the same name (--watch PATTERN, --no-watch) into one list', () => {
    const shared: readonly CommandFlag[] = [
      {name: 'no-watch', type: 'boolean', help: 'do not watch the folder'},
      {name: 'watch', type: 'string', multiple: true, help: 'a pattern, repeatable'},
    ];
    expect(parseCommandLine([], shared)).toEqual({ok: true, flags: {watch: []}, input: []});
    expect(parseCommandLine(['--watch', 'a/*.bin', '--no-watch', '--watch=b'], shared)).toEqual({ok: true, flags: {watch: ['a/*.bin', false, 'b']}, input: []});
    expect(parseCommandLine(['--watch'], shared)).toEqual({ok: false, error: '--watch needs a value'});
  });

  it('names an unknown option, a value left out and a flag given twice instead of exiting', () => {
    expect(parseCommandLine(['--prot', '80'], FLAGS)).toEqual({ok: false, error: 'unknown option --prot'});
    expect(parseCommandLine(['--json=1', '-x'], FLAGS)).toEqual({ok: false, error: 'unknown option -x'});
    expect(parseCommandLine(['--port'], FLAGS)).toEqual({ok: false, error: '--port needs a value'});
    expect(parseCommandLine(['--port', '--json'], FLAGS)).toEqual({ok: false, error: '--port needs a value'});
    expect(parseCommandLine(['--port', '1', '--port', '2'], FLAGS)).toEqual({ok: false, error: expect.stringMatching(/--port can only be set once/)});
    // after -- everything is input
    expect(parseCommandLine(['--', '--prot'], FLAGS)).toMatchObject({ok: true, input: ['--prot']});
  });

  it('simulate: an unknown option or a stray argument is refused with its name', () => {
    expect(() => parseSimulateArgs(['--mqtt', 'mqtt://b', '--bogus'])).toThrow('unknown option --bogus');
    expect(() => parseSimulateArgs(['--mqtt', 'mqtt://b', 'extra'])).toThrow(/unexpected argument "extra"/);
    expect(parseSimulateArgs(['--mqtt', 'mqtt://b', '--verbose', '--insecure'])).toMatchObject({verbose: true, insecure: true});
  });
});

describe('the main command', () => {
  beforeAll(() => ensureBuilt());

  it('has a flag for every key of the settings table that names one, with the default in --help', () => {
    for (const key of KEYS.filter(k => k.flag)) {
      expect(MAIN_FLAGS.map(f => `--${f.name}`)).toContain(key.flag);
      const line = MAIN_HELP.split('\n').find(l => l.trimStart().startsWith(`${key.flag} `) || l.trim() === key.flag);
      expect(line, key.flag).toBeDefined();
      if (key.kind !== 'bool' && key.default) expect(line).toContain(`(default ${key.default})`);
    }
    for (const flag of MAIN_FLAGS) expect(MAIN_HELP).toContain(`--${flag.name}`);
  });

  it('exits 2 on an unknown option, naming it and where the options are listed', async () => {
    const failure = await promisify(execFile)(process.execPath, [CLI, '--http-prot', '80']).then(() => null, (error: {code: number; stderr: string}) => error);
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toBe('homie-ota: unknown option --http-prot; homie-ota --help lists the options.\n');
  });

  it('inspect and simulate list their flags in --help', async () => {
    const run = async (args: string[]) => (await promisify(execFile)(process.execPath, [CLI, ...args])).stdout;
    expect(await run(['inspect', '--help'])).toMatch(/--json +print the results as JSON/);
    const simulate = await run(['simulate', '-h']);
    for (const flag of ['--mqtt URL', '--devices N', '--fault SPEC[:WHO]', '--insecure', '--verbose', '--help']) expect(simulate).toContain(flag);
  });
});
