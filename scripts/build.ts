/**
 * The build: homie-ota and the packages it runs on, bundled by esbuild into dist/.
 *
 * Why a bundle and not tsc's one file per module: Node 20 spends most of a start resolving, reading
 * and compiling hundreds of small modules (measured: the headless worker's first HTTP answer 0.50 s
 * after spawn with tsc's output, 0.37 s bundled). The bundle is split where homie-ota loads lazily, so
 * the headless worker never loads the dashboard (React, Ink, yoga) nor the embedded broker when an
 * external one is set, and an attached dashboard never loads the engine.
 *
 * Entry points keep the names tests and benches rely on: dist/main.js (the CLI), dist/ui/run-ui.js (the
 * dashboard), dist/engine/engine.js (the worker). Shared code goes to dist/chunk-*.js.
 *
 * Ink is bundled with its two text caches bounded and its throttle taken alone (see
 * src/ui/ink-cache-hooks.ts): the same rewrite the module hooks did at run time, now done once here, so
 * the dashboard runs no module-hook thread. dist/ui/ink-cache-hooks.js is still built, as a loader for
 * running Ink unbundled (its test does).
 *
 * Type checking is `npm run typecheck` (tsc), separate from this.
 */
import fs from 'node:fs';
import path from 'node:path';
import {build, type Plugin} from 'esbuild';
import {rewrittenInkSource} from '../src/ui/ink-cache-hooks.js';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string};

/** Ink's modules as homie-ota needs them; fails the build when Ink no longer looks as expected. */
const boundInk: Plugin = {
  name: 'bound-ink-caches',
  setup(b) {
    const rewritten = new Set<string>();
    b.onLoad({filter: /[\\/]ink[\\/]build[\\/](measure-text|wrap-text|ink)\.js$/}, args => {
      const source = fs.readFileSync(args.path, 'utf8');
      const contents = rewrittenInkSource(`file://${args.path}`, source);
      if (contents !== source) rewritten.add(path.basename(args.path));
      return {contents, loader: 'js'};
    });
    b.onEnd(result => {
      if (result.errors.length > 0) return;
      const missing = ['measure-text.js', 'wrap-text.js', 'ink.js'].filter(file => !rewritten.has(file));
      if (missing.length > 0) result.errors.push({id: 'ink', pluginName: 'bound-ink-caches', text: `Ink's ${missing.join(', ')} no longer look as src/ui/ink-cache-hooks.ts expects (Ink upgraded?)`, location: null, notes: [], detail: undefined});
    });
  },
};

fs.rmSync(out, {recursive: true, force: true});
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // not minified, so stack traces in homie-ota.log stay readable; no keepNames either: it wraps every
  // function made at run time in a call that sets its name (8 ms of a 5,000-device load, and garbage)
  legalComments: 'none',
  logLevel: 'warning',
  // bundled CommonJS packages (mqtt-packet, busboy, …) call require() for Node's own modules
  banner: {js: "import {createRequire as __homieOtaRequire} from 'node:module'; const require = __homieOtaRequire(import.meta.url);"},
} as const;

await build({
  ...common,
  entryPoints: {main: 'src/main.ts', 'ui/run-ui': 'src/ui/run-ui.tsx', 'engine/engine': 'src/engine/engine.ts'},
  outdir: out,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  define: {HOMIE_OTA_VERSION: JSON.stringify(pkg.version)},
  // Ink loads React's developer tools only when DEV=true, which homie-ota never sets
  external: ['react-devtools-core'],
  plugins: [boundInk],
  absWorkingDir: root,
});
await build({...common, banner: {}, entryPoints: {'ui/ink-cache-hooks': 'src/ui/ink-cache-hooks.ts'}, outdir: out, absWorkingDir: root});
fs.chmodSync(path.join(out, 'main.js'), 0o755);
