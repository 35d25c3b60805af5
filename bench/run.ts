/**
 * `npm run bench [name…]`: runs every bench/*.bench.ts (or the named ones) in turn and prints one
 * table per benchmark. Each module exports `run(): Promise<BenchResult>`. With BENCH_JSON=<file>, a single
 * benchmark also writes its results there as JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

export interface BenchResult {
  readonly title: string;
  /** column names, then rows of cells */
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<ReadonlyArray<string | number>>;
  /** a line under the table: targets, machine, caveats */
  readonly note?: string;
}

export function formatTable(result: BenchResult): string {
  const cells = [result.columns.map(String), ...result.rows.map(r => r.map(String))];
  const widths = result.columns.map((_, i) => Math.max(...cells.map(row => (row[i] ?? '').length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [`${result.title}`, line(cells[0]!), `|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line), ...(result.note ? [result.note] : [])].join('\n');
}

const here = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = fs.readdirSync(here).filter(f => f.endsWith('.bench.ts')).sort()
  .filter(f => wanted.length === 0 || wanted.some(w => f.startsWith(w)));
if (files.length === 0) {
  process.stdout.write(`no benchmarks${wanted.length ? ` matching ${wanted.join(', ')}` : ''}\n`);
}
if (files.length === 1) {
  const mod = (await import(pathToFileURL(path.join(here, files[0]!)).href)) as {run: () => Promise<BenchResult | BenchResult[]>};
  const results = await mod.run();
  const list = Array.isArray(results) ? results : [results];
  for (const result of list) process.stdout.write(`\n${formatTable(result)}\n`);
  // another bench that reuses this one's figures reads them from here
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(list));
} else {
  // one process per benchmark, so one's memory and warm caches never colour the next one's figures
  const {spawnSync} = await import('node:child_process');
  for (const file of files) {
    const result = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), file], {stdio: 'inherit'});
    if (result.status !== 0) process.stdout.write(`\n${file}: exited with status ${result.status}\n`);
  }
}
