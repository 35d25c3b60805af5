/** `homie-ota inspect FILE…`: filled in with the firmware store. */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`homie-ota inspect: not available yet (${argv.length} file(s) given)\n`);
  return 1;
}
