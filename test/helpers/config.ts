import type {CliOverrides} from '../../src/config/load.js';
import type {Config} from '../../src/config/schema.js';
import {prepareStart} from '../../src/startup.js';

/**
 * A valid Config for tests: a temporary firmware folder (created, as the start creates it), no log
 * file, no INI lookup (cwd is the temporary folder), plus any overrides.
 */
export function testConfig(dir: string, overrides: CliOverrides = {}, env: NodeJS.ProcessEnv = {}): Config {
  const result = prepareStart({firmwareDir: 'firmwares', logFile: 'none', httpHost: '127.0.0.1', httpPort: '0', ...overrides}, env, dir);
  if (!result.ok) throw new Error(`test config invalid: ${result.problems.join('; ')}`);
  return result.config;
}
