/**
 * Prints the configuration and keyboard tables of the README from the code that defines them
 * (src/config/schema.ts, src/ui/keymap.ts). Run: npx tsx scripts/readme-tables.ts
 * test/docs/readme.test.ts fails when the README drifts from them.
 */
import {KEYS} from '../src/config/schema.js';
import {BINDINGS, keyLabel, type Scope} from '../src/ui/keymap.js';

export function configTable(): string {
  const rows = KEYS.map(k => `| \`[${k.section}]\` ${k.key} | ${k.flag ? `\`${k.flag}\`` : ''} | ${k.default === '' ? '(unset)' : `\`${k.default}\``} | ${k.help.replace(/\|/g, '\\|')} |`);
  return ['| Key | Flag | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
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
  process.stdout.write(`${configTable()}\n\n${keyTable()}\n`);
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
}
