import type {Engine} from '../engine/engine.js';
import {formatLine} from '../engine/log.js';

/**
 * Headless mode (systemd, pipes, `--headless`): the same engine, no Ink at all, one line per event on
 * stdout. Returns a function that stops printing.
 */
export function runHeadless(engine: Engine, out: NodeJS.WritableStream = process.stdout): () => void {
  for (const entry of engine.logger.recent()) out.write(formatLine(entry));
  const off = engine.logger.onEntry(entry => {
    out.write(formatLine(entry));
  });
  return off;
}
