import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temporary folder; `cleanup` removes it. */
export function tempDir(prefix = 'homie-ota-test-'): {dir: string; cleanup: () => void} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {dir, cleanup: () => fs.rmSync(dir, {recursive: true, force: true})};
}
