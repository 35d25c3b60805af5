/** Sub-commands (`homie-ota inspect …`, `homie-ota simulate …`), loaded only when used. */
export interface SubCommand {
  main(argv: string[]): Promise<number>;
}

export const SUBCOMMANDS: Record<string, () => Promise<SubCommand>> = {
  attach: () => import('./commands/attach.js'),
  inspect: () => import('./commands/inspect.js'),
  simulate: () => import('./commands/simulate.js'),
};
