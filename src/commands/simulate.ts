/** `homie-ota simulate …`: filled in with the device simulator. */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`homie-ota simulate: not available yet (${argv.length} argument(s) given)\n`);
  return 1;
}
