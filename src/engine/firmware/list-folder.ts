import fs from 'node:fs/promises';
import path from 'node:path';
import {kindOf, openRegular} from '../util/safe-file.js';
import {descriptionFileName, isCandidateName} from './file-name.js';

/** One regular file at the top of the firmware folder (sub-folders such as rejected/ are not looked into). */
export interface FolderEntry {
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface FolderListing {
  /** .bin and gzip files that may be firmware, in name order */
  readonly candidates: readonly FolderEntry[];
  /** entries with a firmware's name that are not regular files (links, FIFOs, folders): never used */
  readonly unusable: ReadonlyArray<FolderEntry & {readonly kind: string}>;
  /** .txt files (descriptions), by name */
  readonly texts: ReadonlyMap<string, FolderEntry>;
}

/**
 * List the folder: regular files only (symbolic links are not followed, so the store never serves or
 * deletes something outside its folder), hidden and temporary names left out. Links and other
 * non-files with a firmware's name are listed apart, so the user learns why they are not used. A plain
 * readdir: the folder's top level is all there is to list (a glob package cost 8 MB of resident memory).
 */
export async function listFolder(root: string): Promise<FolderListing> {
  // a missing or unreadable folder throws: it must never look like an empty one. Names only, each
  // stat apart: a file that vanishes between the listing and its stat (homie-ota's own atomic saves
  // do that all the time) is left out, never taking the rest of the folder with it
  const names = (await fs.readdir(root)).filter(name => !name.startsWith('.'));
  const candidates: FolderEntry[] = [];
  const unusable: Array<FolderEntry & {kind: string}> = [];
  const texts = new Map<string, FolderEntry>();
  const stats = await Promise.all(names.map(name => fs.lstat(path.join(root, name)).catch((error: NodeJS.ErrnoException) => {
    // gone since the listing: it is not there; anything else is a real problem with the folder
    if (error.code === 'ENOENT') return null;
    throw error;
  })));
  names.forEach((name, i) => {
    const stat = stats[i];
    if (!stat) return;
    const item = {file: name, size: stat.size, mtimeMs: stat.mtimeMs};
    if (!stat.isFile()) {
      if (isCandidateName(name)) unusable.push({...item, kind: kindOf(stat)});
      return;
    }
    if (name.endsWith('.txt')) texts.set(name, item);
    else if (isCandidateName(name)) candidates.push(item);
  });
  candidates.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return {candidates, texts, unusable};
}

/** Reads description files, again only when one changed. */
export class DescriptionReader {
  readonly #known = new Map<string, {size: number; mtimeMs: number; text: string}>();

  constructor(readonly root: string) {}

  async read(binFile: string, texts: ReadonlyMap<string, FolderEntry>): Promise<string> {
    const txt = descriptionFileName(binFile);
    const entry = texts.get(txt);
    if (!entry) {
      this.#known.delete(txt);
      return '';
    }
    const known = this.#known.get(txt);
    if (known && known.size === entry.size && known.mtimeMs === entry.mtimeMs) return known.text;
    let text = '';
    try {
      // descriptions are short; a huge .txt is not one (the first 4 KiB are shown)
      const handle = await openRegular(path.join(this.root, txt));
      try {
        const buffer = Buffer.alloc(Math.min(entry.size, 4096));
        const {bytesRead} = await handle.read(buffer, 0, buffer.length, 0);
        text = buffer.subarray(0, bytesRead).toString('utf8').trim();
      } finally {
        await handle.close();
      }
    } catch {
      return known?.text ?? '';
    }
    this.#known.set(txt, {size: entry.size, mtimeMs: entry.mtimeMs, text});
    return text;
  }

  forget(binFile: string): void {
    this.#known.delete(descriptionFileName(binFile));
  }
}
