/**
 * Prints the configuration and keyboard tables of the README and homie-ota.example.ini from the code
 * that defines them (src/config/schema.ts, src/ui/keymap.ts). Run: npx tsx scripts/readme-tables.ts;
 * with --write it puts them into README.md and homie-ota.example.ini.
 * test/docs/readme.test.ts fails when the README or the example file drifts from them.
 */
import {KEYS, type KeySpec, type Section} from '../src/config/schema.js';
import {BINDINGS, keyLabel, type Scope} from '../src/ui/keymap.js';

export function configTable(): string {
  const rows = KEYS.map(k => `| \`[${k.section}]\` ${k.key} | ${k.flag ? `\`${k.flag}\`` : ''} | ${k.default === '' ? '(unset)' : `\`${k.default}\``} | ${k.help.replace(/\|/g, '\\|')} |`);
  return ['| Key | Flag | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}

const INI_HEADER = `; homie-ota settings. Copy to homie-ota.ini (or pass --config FILE, or set $INIFILE).
; The keys of the original homie-ota work unchanged; every key is optional.
; Command-line flags override these values (homie-ota --help).`;

/** A key in the example file: its comment, then the key with its default, or commented out with an example value. */
function iniEntry(key: KeySpec): string[] {
  const comment = key.ini?.comment?.split('\n').map(line => `; ${line}`) ?? [];
  // booleans as the original's example wrote them (Python's True and False)
  const value = key.kind === 'bool' ? key.default.replace(/^./, c => c.toUpperCase()) : key.default;
  const example = key.ini?.example;
  return [...comment, example === undefined ? `${key.key} = ${value}` : `; ${key.key} = ${example}`];
}

/** homie-ota.example.ini: every key of the table, under its section. */
export function exampleIni(): string {
  const sections: Section[] = ['global', 'mqtt'];
  const blocks = sections.map(section => [`[${section}]`, ...KEYS.filter(k => k.section === section).flatMap(iniEntry)].join('\n'));
  return `${[INI_HEADER, ...blocks].join('\n\n')}\n`;
}

const SCOPES: Array<[Scope, string]> = [
  ['global', 'Everywhere'], ['list', 'In every list'], ['devices', 'Devices view (1)'], ['filter', 'Devices view, filter set'],
  ['detail', 'Detail (device, firmware, job, log line)'], ['device', 'Device detail'], ['firmware', 'Firmware view (2)'],
  ['queue', 'Queue view (3)'], ['log', 'Log view (4)'], ['dialog', 'Dialogs'], ['help', 'Help (?)'],
];

export function keyTable(): string {
  const rows: string[] = ['| Where | Keys | Action |', '|---|---|---|'];
  for (const [scope, title] of SCOPES) {
    for (const b of BINDINGS.filter(b => b.scope === scope)) {
      rows.push(`| ${title} | ${b.keys.map(k => `\`${keyLabel(k)}\``).join(' ')} | ${b.help}${b.mutates ? ' (not in --readonly)' : ''} |`);
    }
  }
  return rows.join('\n');
}

if (process.argv[1]?.endsWith('readme-tables.ts') && !process.argv.includes('--write')) {
  process.stdout.write(`${configTable()}\n\n${keyTable()}\n\n${exampleIni()}`);
}

/** Replace the text between `<!-- NAME:start -->` and `<!-- NAME:end -->`. */
export function replaceSection(readme: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README has no ${start} … ${end} section`);
  return `${readme.slice(0, a + start.length)}\n${body}\n${readme.slice(b)}`;
}

if (process.argv[1]?.endsWith('readme-tables.ts') && process.argv.includes('--write')) {
  const fs = await import('node:fs');
  const file = new URL('../README.md', import.meta.url);
  let readme = fs.readFileSync(file, 'utf8');
  readme = replaceSection(readme, 'config-table', configTable());
  readme = replaceSection(readme, 'key-table', keyTable());
  fs.writeFileSync(file, readme);
  fs.writeFileSync(new URL('../homie-ota.example.ini', import.meta.url), exampleIni());
}
