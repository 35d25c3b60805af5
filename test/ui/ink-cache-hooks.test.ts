import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {describe, expect, it} from 'vitest';
import {rewrittenInkSource, INK_CACHE_LIMIT} from '../../src/ui/ink-cache-hooks.js';

const inkBuild = path.resolve('node_modules/ink/build');
const hooks = pathToFileURL(path.resolve('dist/ui/ink-cache-hooks.js')).href;

/**
 * Heap growth, in MB, after Ink has measured and wrapped `count` different texts, in a fresh Node:
 * with the hooks homie-ota installs before the dashboard starts, or without them.
 */
function heapGrowth(count: number, withHooks: boolean): number {
  const script = `
    ${withHooks ? `import {register} from 'node:module'; register(${JSON.stringify(hooks)});` : ''}
    const {default: measureText} = await import(${JSON.stringify(pathToFileURL(path.join(inkBuild, 'measure-text.js')).href)});
    const {default: wrapText} = await import(${JSON.stringify(pathToFileURL(path.join(inkBuild, 'wrap-text.js')).href)});
    globalThis.gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < ${count}; i++) {
      const text = 'uptime ' + i + ' '.repeat(150) + 'relay-' + (i * 7919);
      if (measureText(text).width < 1) throw new Error('measured nothing');
      if (!wrapText(text, 80, 'truncate-end')) throw new Error('wrapped nothing');
    }
    globalThis.gc();
    console.log((process.memoryUsage().heapUsed - before) / 1048576);
  `;
  return Number(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {encoding: 'utf8'}).trim());
}

describe("Ink's text caches", () => {
  it('are rewritten as they load: emptied once they hold the limit, nothing else changed', () => {
    for (const file of ['measure-text.js', 'wrap-text.js']) {
      const url = pathToFileURL(path.join(inkBuild, file)).href;
      const source = fs.readFileSync(path.join(inkBuild, file), 'utf8');
      const rewritten = rewrittenInkSource(url, source);
      expect(rewritten, `${file} still looks as the hooks expect (Ink upgraded?)`).not.toBe(source);
      expect(rewritten).toContain(String(INK_CACHE_LIMIT));
    }
    // any other module, or a changed one, is left as it is
    expect(rewrittenInkSource('file:///x/ink/build/output.js', 'const cache = {};')).toBe('const cache = {};');
    expect(rewrittenInkSource('file:///x/ink/build/wrap-text.js', 'something else')).toBe('something else');
  });

  it("take throttle from its own module, the same function, instead of loading all of es-toolkit's compat collection", async () => {
    const url = pathToFileURL(path.join(inkBuild, 'ink.js')).href;
    const rewritten = rewrittenInkSource(url, fs.readFileSync(path.join(inkBuild, 'ink.js'), 'utf8'));
    expect(rewritten, 'ink.js still imports throttle as the hooks expect (Ink upgraded?)').toContain("import throttle from 'es-toolkit/compat/throttle';");
    expect(rewritten).not.toContain("from 'es-toolkit/compat';");
    const whole = await import('es-toolkit/compat');
    const alone = await import('es-toolkit/compat/throttle');
    expect(alone.default).toBe(whole.throttle);
  });

  it('stay bounded over a long session with the hooks, and grow without them', () => {
    const texts = 6 * INK_CACHE_LIMIT;
    const without = heapGrowth(texts, false);
    const bounded = heapGrowth(texts, true);
    process.stdout.write(`Ink text caches after ${texts} different texts: ${without.toFixed(1)} MB without the hooks, ${bounded.toFixed(1)} MB with them\n`);
    expect(without).toBeGreaterThan(10);
    expect(bounded).toBeLessThan(without / 3);
  }, 60_000);
});
