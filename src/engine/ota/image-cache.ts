import crypto from 'node:crypto';
import {readRegularFile} from '../util/safe-file.js';

/**
 * Firmware images held in memory for the HTTP endpoint, so a busy endpoint answers from RAM with one
 * write per request instead of re-reading the file. An image enters the cache only after its MD5 was
 * checked against the store's record: a file changed on disk is never served under the old x-MD5.
 * Bounded by total bytes (least recently used out first); emptied when the store changes.
 */
export class ImageCache {
  readonly #entries = new Map<string, {readonly md5: string; readonly data: Buffer}>();
  #bytes = 0;

  constructor(readonly maxBytes = 64 * 1024 * 1024) {}

  async get(file: string, md5: string): Promise<{data: Buffer} | {error: string}> {
    const hit = this.#entries.get(file);
    if (hit && hit.md5 === md5) {
      this.#entries.delete(file);
      this.#entries.set(file, hit);
      return {data: hit.data};
    }
    let data: Buffer;
    try {
      data = await readRegularFile(file);
    } catch (error) {
      return {error: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`};
    }
    const actual = crypto.createHash('md5').update(data).digest('hex');
    if (actual !== md5) return {error: `${file} changed on disk since it was identified (MD5 ${actual}, expected ${md5}); not served`};
    this.#put(file, {md5, data});
    return {data};
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #put(file: string, entry: {md5: string; data: Buffer}): void {
    if (entry.data.length > this.maxBytes) return;
    const old = this.#entries.get(file);
    if (old) this.#bytes -= old.data.length;
    this.#entries.set(file, entry);
    this.#bytes += entry.data.length;
    for (const [key, value] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(key);
      this.#bytes -= value.data.length;
    }
  }
}
