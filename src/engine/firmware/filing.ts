import fs from 'node:fs/promises';
import path from 'node:path';
import {humanBytes} from '../util/text.js';
import {moveNoReplace, TargetExistsError} from './file-ops.js';
import type {Identification} from './identify.js';
import type {FilingPlan} from './plan.js';
import type {FirmwareRecord} from './records.js';

/**
 * Putting one identified file (a drop or an upload) into the store, shared by the watcher and the
 * upload route. The caller holds the store's lock, so two filings never race inside this process;
 * against other programs, moveNoReplace never overwrites.
 */
export type FilingOutcome =
  | {readonly kind: 'stored'; readonly file: string}
  | {readonly kind: 'identical'; readonly existing: FirmwareRecord}
  | {readonly kind: 'conflict'; readonly existing: FirmwareRecord; readonly reason: string}
  | {readonly kind: 'invalid'; readonly reason: string};

export interface FilingContext {
  readonly root: string;
  /** the stored record for a file name, read from disk if the store has not seen it yet */
  existing(file: string): Promise<FirmwareRecord | undefined>;
}

export function conflictReason(plan: {name: string; version: string}, ident: Identification, existing: FirmwareRecord): string {
  return `${plan.name} ${plan.version} is already stored as ${existing.file} with different content (MD5 ${ident.md5.slice(0, 8)}… here, ${existing.md5.slice(0, 8)}… stored); `
    + 'bump the version in Homie_setFirmware(), or delete the stored one first';
}

/** Move `source` to its place in the store. An identical copy of a stored file is removed (not data loss). */
export async function fileIdentified(ctx: FilingContext, source: string, ident: Identification, plan: FilingPlan): Promise<FilingOutcome> {
  if (!plan.ok) return {kind: 'invalid', reason: plan.reason};
  const target = path.join(ctx.root, plan.file);
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = await ctx.existing(plan.file);
    if (existing) {
      if (existing.md5 === ident.md5 && existing.size === ident.size) {
        if (path.resolve(source) !== path.resolve(target)) await fs.unlink(source);
        return {kind: 'identical', existing};
      }
      return {kind: 'conflict', existing, reason: conflictReason(plan, ident, existing)};
    }
    try {
      await moveNoReplace(source, target);
      return {kind: 'stored', file: plan.file};
    } catch (error) {
      // another program created the name after we looked: compare with what is there now
      if (!(error instanceof TargetExistsError)) throw error;
    }
  }
  throw new Error(`${plan.file} keeps appearing and disappearing; try again`);
}

export function summary(record: Pick<FirmwareRecord, 'chip' | 'size' | 'gzip'>): string {
  return `${record.chip}${record.gzip ? ', gzip' : ''}, ${humanBytes(record.size)}`;
}

/** Why a file over OTA_UPLOAD_LIMIT is refused, the same words for a drop and an upload. */
export function overLimit(size: number, limit: number): string {
  return `the file is ${humanBytes(size)}, more than the upload limit of ${humanBytes(limit)} (OTA_UPLOAD_LIMIT, at most 16M, the largest ESP flash); raise OTA_UPLOAD_LIMIT if this firmware is right`;
}
