import fs from 'node:fs';
import {describe, expect, it} from 'vitest';
import {configTable, exampleIni, keyTable} from '../../scripts/readme-tables.js';
import {MAIN_HELP} from '../../src/cli.js';

const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('leads with the two commands that install, run and test', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/npm install && npm start/);
    expect(firstBlock).toMatch(/npm test/);
  });

  it('has the configuration table the code defines (npx tsx scripts/readme-tables.ts --write)', () => {
    expect(readme).toContain(configTable());
  });

  it('ships the example settings file the code defines, every key under its section (npx tsx scripts/readme-tables.ts --write)', () => {
    const example = fs.readFileSync(new URL('../../homie-ota.example.ini', import.meta.url), 'utf8');
    expect(example).toBe(exampleIni());
  });

  it('has the keyboard table the keymap defines', () => {
    expect(readme).toContain(keyTable());
  });

  it('mentions every command-line flag of --help', () => {
    for (const flag of MAIN_HELP.match(/--[a-z-]+/g) ?? []) expect(readme).toContain(flag);
  });
});
