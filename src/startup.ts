import fs from 'node:fs';
import {loadConfig, type CliOverrides} from './config/load.js';
import type {Config} from './config/schema.js';

/**
 * What homie-ota sets up on disk before anything starts, once the settings are read: the firmware
 * folder is created when missing and must be writable (readable is enough with --readonly, which
 * writes nothing there, so a mounted backup or a read-only SD card will do). The folders below it
 * (rejected/) are made by the firmware store when first needed. Returns the problems, one line each,
 * beginning with `label(key)` as the settings' own errors do.
 */
export function prepareFolders(config: Pick<Config, 'firmwareRoot' | 'readonly'>, label: (key: string) => string): string[] {
  const root = config.firmwareRoot;
  try {
    fs.mkdirSync(root, {recursive: true});
    fs.accessSync(root, config.readonly ? fs.constants.R_OK : fs.constants.R_OK | fs.constants.W_OK);
    return [];
  } catch (error) {
    return [`${label('OTA_FIRMWARE_ROOT')}: cannot create or write ${root} (${(error as NodeJS.ErrnoException).code}); create it or point OTA_FIRMWARE_ROOT / --firmware-dir at a writable folder`];
  }
}

export type Prepared =
  | {readonly ok: true; readonly config: Config; readonly warnings: readonly string[]}
  | {readonly ok: false; readonly problems: readonly string[]};

/** The settings read and checked, then the firmware folder made: what the start needs before the engine. */
export function prepareStart(flags: CliOverrides, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Prepared {
  const loaded = loadConfig(flags, env, cwd);
  if (!loaded.ok) return {ok: false, problems: loaded.errors};
  const problems = prepareFolders(loaded.config, loaded.label);
  return problems.length > 0 ? {ok: false, problems} : {ok: true, config: loaded.config, warnings: loaded.warnings};
}
