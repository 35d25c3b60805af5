import type {CliOverrides} from '../config/load.js';
import type {Engine} from '../engine/engine.js';

export interface Demo {
  readonly overrides: CliOverrides;
  start(engine: Engine): Promise<void>;
  stop(): Promise<void>;
}

/** `--demo [N]`: filled in with the device simulator. Returns null (and explains) when it cannot run. */
export async function prepareDemo(count: string | undefined): Promise<Demo | null> {
  process.stderr.write(`homie-ota --demo: not available yet (${count ?? 'default'} devices asked)\n`);
  process.exitCode = 1;
  return null;
}
