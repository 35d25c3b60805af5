import {loadConfig, type CliOverrides} from '../../src/config/load.js';
import type {Config} from '../../src/config/schema.js';

/**
 * A valid Config for tests: a temporary firmware folder, no log file, no INI lookup (cwd is the
 * temporary folder), plus any overrides.
 */
export function testConfig(dir: string, overrides: CliOverrides = {}, env: NodeJS.ProcessEnv = {}): Config {
  const result = loadConfig({firmwareDir: 'firmwares', logFile: 'none', httpHost: '127.0.0.1', httpPort: '0', ...overrides}, env, dir);
  if (!result.ok) throw new Error(`test config invalid: ${result.errors.join('; ')}`);
  return result.config;
}
