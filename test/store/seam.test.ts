import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';

/** Every file under a folder, with its text. */
function sources(dir: string): Array<{file: string; text: string}> {
  return fs.readdirSync(dir, {recursive: true, encoding: 'utf8'})
    .filter(f => /\.tsx?$/.test(f))
    .map(f => ({file: path.join(dir, f), text: fs.readFileSync(path.join(dir, f), 'utf8')}));
}

describe('the dashboard meets the engine in one file', () => {
  it('only src/store/engine-source.ts imports the Engine; no view or store file reads it otherwise', () => {
    const importsEngine = /from '[./]*\/engine\/(create-)?engine\.js'/;
    const users = [...sources('src/ui'), ...sources('src/store')].filter(s => importsEngine.test(s.text)).map(s => s.file);
    expect(users).toEqual([path.join('src/store', 'engine-source.ts')]);
    // and no view asks for the engine through a hook
    expect(sources('src/ui').filter(s => /useEngine\b/.test(s.text)).map(s => s.file)).toEqual([]);
  });
});
