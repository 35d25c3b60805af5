import path from 'node:path';
import {writeFileAtomic} from '../util/atomic.js';
import {NotRegularFileError, readRegularFile, refuseStateFile} from '../util/safe-file.js';
import {bool, checkShape, list, num, object, oneOf, optional, str} from '../util/shape.js';
import type {Identification} from './identify.js';

/**
 * What was learnt about each stored file, keyed by file name and valid while its size and mtime are
 * unchanged, so a rescan (every 30 s, and at every start) does not read and hash every firmware
 * again. Losing or deleting the cache costs one re-read; it is never the only copy of anything.
 */
export const CACHE_FILE = 'firmware-cache.json';
const FORMAT = 1;

/** What a cache entry must look like to be used: anything else (a hand-edited or hostile file) means "read the file again". */
const short = str({max: 4096});
const optionalShort = optional(short);
const md5 = str({pattern: /^[0-9a-f]{32}$/});
const entryShape = object({
  size: num({whole: true, min: 0}),
  mtimeMs: num(),
  added: num(),
  ident: object({
    size: num({whole: true, min: 0}),
    md5,
    sha256: str({pattern: /^[0-9a-f]{64}$/}),
    gzip: bool,
    imageMd5: optional(md5),
    format: oneOf(['esp8266', 'esp32', 'image', 'none']),
    chip: short,
    flash: short,
    app: optional(object({projectName: short, appVersion: short, idfVersion: short, built: short})),
    name: optionalShort,
    version: optionalShort,
    brand: optionalShort,
    homieSignature: bool,
    problem: optionalShort,
    notes: list(short, 64),
  }),
});

export interface CacheEntry {
  readonly size: number;
  readonly mtimeMs: number;
  /** when homie-ota first stored or saw the file (ms since epoch) */
  readonly added: number;
  readonly ident: Identification;
}

export class MetadataCache {
  readonly #entries = new Map<string, CacheEntry>();
  #dirty = false;

  constructor(readonly root: string) {}

  get file(): string {
    return path.join(this.root, CACHE_FILE);
  }

  /**
   * Read the cache; a missing or unreadable one is simply empty (the files are re-read). Something
   * that is not a regular file at its name (a FIFO would block the read) stops the start.
   */
  async load(): Promise<string | null> {
    let text: string;
    try {
      text = (await readRegularFile(this.file)).toString('utf8');
    } catch (error) {
      if (error instanceof NotRegularFileError) throw refuseStateFile(error, 'what it learnt about each firmware file');
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : `cannot read ${this.file}: ${(error as Error).message}`;
    }
    try {
      const data = JSON.parse(text) as {format?: number; entries?: Record<string, CacheEntry>};
      if (data.format !== FORMAT || typeof data.entries !== 'object' || data.entries === null) return null;
      for (const [file, entry] of Object.entries(data.entries)) {
        const checked = checkShape(entryShape, entry);
        if (checked.ok) this.#entries.set(file, checked.value as unknown as CacheEntry);
      }
      return null;
    } catch {
      return `${this.file} is not valid JSON; it will be rebuilt`;
    }
  }

  /** The entry, only when it still describes the file as it is now. */
  valid(file: string, size: number, mtimeMs: number): CacheEntry | undefined {
    const entry = this.#entries.get(file);
    return entry && entry.size === size && entry.mtimeMs === mtimeMs ? entry : undefined;
  }

  get(file: string): CacheEntry | undefined {
    return this.#entries.get(file);
  }

  set(file: string, entry: CacheEntry): void {
    this.#entries.set(file, entry);
    this.#dirty = true;
  }

  delete(file: string): void {
    if (this.#entries.delete(file)) this.#dirty = true;
  }

  /** Forget entries for files that are gone. */
  retain(files: ReadonlySet<string>): void {
    for (const file of this.#entries.keys()) if (!files.has(file)) this.delete(file);
  }

  async save(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    const entries = Object.fromEntries([...this.#entries].sort(([a], [b]) => (a < b ? -1 : 1)));
    try {
      await writeFileAtomic(this.file, `${JSON.stringify({format: FORMAT, entries})}\n`);
    } catch (error) {
      this.#dirty = true;
      throw error;
    }
  }
}
