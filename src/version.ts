import fs from 'node:fs';

/** Set by the build (scripts/build.ts); absent when run from source. */
declare const HOMIE_OTA_VERSION: string | undefined;

/** The version from package.json: built in, or read from it when run from source (src/ sits one level below it). */
export const VERSION: string = typeof HOMIE_OTA_VERSION === 'string' ? HOMIE_OTA_VERSION : (() => {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version?: string};
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
