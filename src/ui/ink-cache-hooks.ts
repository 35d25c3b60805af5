/**
 * The rewrite that bounds two caches inside Ink 6.8, applied by the build as it bundles Ink
 * (scripts/build.ts, which fails when Ink no longer matches), and exported as module customization
 * hooks (node:module `register`) for running Ink unbundled (the test does).
 *
 * Ink memoises every text it measures (build/measure-text.js) and wraps (build/wrap-text.js) in
 * module-level caches that are never emptied. A dashboard left open for weeks (in tmux on a Pi) shows
 * ever new strings — uptimes, byte counts, times, log lines — so those caches grow without end. The
 * rewrite changes the two small modules so that each cache is emptied once it holds
 * INK_CACHE_LIMIT entries (the next frames simply measure again). If a future Ink changes those lines,
 * the rewrite finds nothing to replace, the build stops and test/ui/ink-cache-hooks fails, so an upgrade
 * cannot drop the bound unnoticed.
 *
 * The same rewrite points Ink's one import of es-toolkit's lodash-compatible collection (build/ink.js takes
 * `throttle` from 'es-toolkit/compat', which loads all of its functions: about 18 MB of resident memory)
 * at that one function's own module, the same code.
 *
 * A workaround for as long as homie-ota stays on Ink 6 (Node 20): the unbounded caches are reported
 * upstream as Ink issue 986 (https://github.com/vadimdemedes/ink/issues/986) and bounded in later Ink
 * majors, which need a newer Node. Remove this rewrite (and its build plugin) with that upgrade.
 */
export const INK_CACHE_LIMIT = 10_000;

const WHOLE_COMPAT = "import { throttle } from 'es-toolkit/compat';";
const THROTTLE_ONLY = "import throttle from 'es-toolkit/compat/throttle';";

/** The rewritten source, or the source as it was when it does not look like the expected module. */
export function rewrittenInkSource(url: string, source: string): string {
  if (url.endsWith('/ink/build/measure-text.js') && source.includes('cache.set(text, dimensions);')) {
    return source.replace('cache.set(text, dimensions);', `if (cache.size >= ${INK_CACHE_LIMIT}) cache.clear();\n    cache.set(text, dimensions);`);
  }
  if (url.endsWith('/ink/build/wrap-text.js') && source.includes('const cache = {};') && source.includes('cache[cacheKey] = wrappedText;')) {
    return source
      .replace('const cache = {};', 'let cache = {};\nlet cacheSize = 0;')
      .replace('cache[cacheKey] = wrappedText;', `if (++cacheSize > ${INK_CACHE_LIMIT}) {\n        cache = {};\n        cacheSize = 1;\n    }\n    cache[cacheKey] = wrappedText;`);
  }
  if (url.endsWith('/ink/build/ink.js') && source.includes(WHOLE_COMPAT)) return source.replace(WHOLE_COMPAT, THROTTLE_ONLY);
  return source;
}

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | NodeJS.TypedArray | null;
  shortCircuit?: boolean;
}

export async function load(url: string, context: object, nextLoad: (url: string, context: object) => Promise<LoadResult>): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (!url.includes('/ink/build/') || result.source == null) return result;
  const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source as Uint8Array).toString('utf8');
  const rewritten = rewrittenInkSource(url, source);
  return rewritten === source ? result : {...result, source: rewritten};
}
