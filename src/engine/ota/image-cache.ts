import crypto from 'node:crypto';
import {readRegularFile} from '../util/safe-file.js';

/**
 * Firmware images held in memory for the HTTP endpoint, so a busy endpoint answers from RAM with one
 * write per request instead of re-reading the file. An image enters the cache only after its MD5 was
 * checked against the store's record: a file changed on disk is never served under the old x-MD5.
 * Bounded by total bytes (least recently used out first); emptied when the store changes.
 * Simultaneous misses for one image share one read: 1,000 devices asking at once used to read and
 * hash the file 1,000 times and hold each copy until its slow client finished (+260 MB measured).
 */
export class ImageCache {
  readonly #entries = new Map<string, {readonly md5: string; readonly data: Buffer}>();
  readonly #pending = new Map<string, Promise<{data: Buffer} | {error: string}>>();
  #bytes = 0;
  /** bumped by clear(): a read that began before it is served but not kept */
  #generation = 0;

  constructor(readonly maxBytes = 64 * 1024 * 1024) {}

  async get(file: string, md5: string): Promise<{data: Buffer} | {error: string}> {
    const hit = this.#entries.get(file);
    if (hit && hit.md5 === md5) {
      this.#entries.delete(file);
      this.#entries.set(file, hit);
      return {data: hit.data};
    }
    const key = `${file}\0${md5}`;
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const read = this.#read(file, md5, this.#generation).finally(() => this.#pending.delete(key));
    this.#pending.set(key, read);
    return read;
  }

  async #read(file: string, md5: string, generation: number): Promise<{data: Buffer} | {error: string}> {
    let data: Buffer;
    try {
      data = await readRegularFile(file);
    } catch (error) {
      return {error: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`};
    }
    const actual = crypto.createHash('md5').update(data).digest('hex');
    if (actual !== md5) return {error: `${file} changed on disk since it was identified (MD5 ${actual}, expected ${md5}); not served`};
    if (generation === this.#generation) this.#put(file, {md5, data});
    return {data};
  }

  clear(): void {
    this.#generation++;
    this.#pending.clear();
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
