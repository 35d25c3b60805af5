import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {listFolder} from '../../src/engine/firmware/list-folder.js';
import {tempDir} from '../helpers/tmp.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({dir, cleanup} = tempDir()));
afterEach(() => cleanup());

describe('listing the firmware folder', () => {
  it('keeps every stored file while other files come and go (atomic saves of jobs.json, uploads)', async () => {
    fs.writeFileSync(path.join(dir, 'relay-1.1.0.bin'), Buffer.alloc(1000, 0xe9));
    fs.writeFileSync(path.join(dir, 'relay-1.1.0.txt'), 'a description\n');
    // homie-ota's own saves: a hidden temporary file, renamed over the real one, all the time
    let churning = true;
    let saves = 0;
    const churn = async () => {
      while (churning) {
        const temp = path.join(dir, `.jobs.json.${saves}.tmp`);
        await fs.promises.writeFile(temp, '{}');
        await fs.promises.rename(temp, path.join(dir, 'jobs.json'));
        saves++;
      }
    };
    const churner = churn();
    let missing = 0;
    const rounds = 400;
    try {
      for (let i = 0; i < rounds; i++) {
        const listing = await listFolder(dir);
        if (!listing.candidates.some(c => c.file === 'relay-1.1.0.bin') || !listing.texts.has('relay-1.1.0.txt')) missing++;
      }
    } finally {
      churning = false;
      await churner;
    }
    expect(saves).toBeGreaterThan(rounds / 4);
    expect(missing, `the stored file was missing from ${missing} of ${rounds} listings`).toBe(0);
  });

  it('fails, rather than looking empty, when the folder cannot be read', async () => {
    await expect(listFolder(path.join(dir, 'nowhere'))).rejects.toThrow(/ENOENT/);
  });
});
