import fs from 'node:fs/promises';
import path from 'node:path';
import {optionRows, parseCommandLine, type CommandFlag} from '../args.js';
import {identifyFirmware, type Identification} from '../engine/firmware/identify.js';
import {planFiling} from '../engine/firmware/plan.js';
import {humanBytes, printable} from '../engine/util/text.js';

/**
 * `homie-ota inspect FILE… [--json]`: what homie-ota detects in firmware binaries, and the name it
 * would store each under. Exit status 1 when any file is not a usable image (or cannot be read), so
 * a build script can check an image before uploading it.
 */
const FLAGS: readonly CommandFlag[] = [
  {name: 'json', type: 'boolean', help: 'print the results as JSON'},
  {name: 'help', type: 'boolean', short: 'h', help: 'show this help'},
];

const USAGE = `Usage: homie-ota inspect [--json] FILE…

  Shows what homie-ota detects in firmware binaries: Homie name and version, chip, flash settings,
  gzip, size, MD5 and SHA-256, and the name the firmware store would give the file.
  Exit status: 0 all files usable, 1 at least one is not, 2 usage error.

  Options
${optionRows(FLAGS, 10)}`;

const READ_MAX = 64 * 1024 * 1024;

export interface InspectResult {
  readonly file: string;
  readonly usable: boolean;
  /** the store's file name for it (when usable) */
  readonly storeAs?: string;
  readonly reason?: string;
  readonly identification?: Identification;
}

export async function inspectFile(file: string): Promise<InspectResult> {
  let data: Buffer;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return {file, usable: false, reason: 'not a regular file'};
    if (stat.size > READ_MAX) return {file, usable: false, reason: `${humanBytes(stat.size)} is far larger than any ESP firmware`};
    data = await fs.readFile(file);
  } catch (error) {
    return {file, usable: false, reason: `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`};
  }
  const identification = identifyFirmware(data);
  const plan = planFiling(path.basename(file), identification);
  return plan.ok
    ? {file, usable: true, storeAs: plan.file, identification}
    : {file, usable: false, reason: plan.reason, identification};
}

export function formatResult(result: InspectResult): string {
  const id = result.identification;
  const rows: Array<[string, string]> = [
    ['usable', result.usable ? `yes: would be stored as ${result.storeAs}` : `no: ${result.reason}`],
  ];
  if (id) {
    if (id.name) rows.push(['firmware', `${id.name} ${id.version} (Homie markers${id.homieSignature ? ', homie-esp8266 signature' : ''}${id.brand ? `, brand ${id.brand}` : ''})`]);
    else if (result.usable) rows.push(['firmware', 'no Homie markers: name and version from the file name']);
    rows.push(['image', id.format === 'none' ? 'not an ESP image' : `${id.chip}${id.flash ? `, flash ${id.flash}` : ''}`]);
    if (id.app) rows.push(['esp-idf app', `${id.app.projectName} ${id.app.appVersion}, IDF ${id.app.idfVersion}, built ${id.app.built}`]);
    rows.push(['size', `${humanBytes(id.size)} (${id.size} bytes)`]);
    rows.push(['gzip', id.gzip ? `yes (inflated image MD5 ${id.imageMd5 ?? '?'})` : 'no']);
    rows.push(['md5', id.md5], ['sha256', id.sha256]);
    for (const note of id.notes) rows.push(['note', note]);
  }
  return [printable(result.file), ...rows.map(([label, value]) => `  ${label.padEnd(12)}${printable(value)}`)].join('\n');
}

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const cli = parseCommandLine(argv, FLAGS);
  if (cli.ok && cli.flags.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  if (!cli.ok || cli.input.length === 0) {
    err.write(`homie-ota inspect: ${cli.ok ? 'no file given' : cli.error}\n${USAGE}\n`);
    return 2;
  }
  const json = Boolean(cli.flags.json);
  const files = cli.input;
  const results: InspectResult[] = [];
  for (const file of files) results.push(await inspectFile(file));
  if (json) out.write(`${JSON.stringify(results, null, 2)}\n`);
  else out.write(`${results.map(formatResult).join('\n\n')}\n`);
  return results.every(r => r.usable) ? 0 : 1;
}
