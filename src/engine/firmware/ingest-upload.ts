import fsp from 'node:fs/promises';
import path from 'node:path';
import {printable} from '../util/text.js';
import {readCapped} from './file-ops.js';
import {fileIdentified, overLimit, summary, type FilingContext} from './filing.js';
import {identifyFirmware, type Identification} from './identify.js';
import {planFiling} from './plan.js';
import {makeRecord, type FirmwareRecord} from './records.js';
import {describeWriteError} from './upload.js';

/**
 * Filing one uploaded file (POST /upload), under the store's lock. The answers use the original's
 * wording ("Firmware from X uploaded as Y", "No valid firmware in X") with the reason added. A
 * refused upload is not kept: the client still has the file and is told why.
 */
export type UploadResult =
  | {readonly kind: 'stored' | 'identical' | 'conflict'; readonly status: 200 | 409; readonly record: FirmwareRecord; readonly message: string}
  | {readonly kind: 'invalid' | 'too-large'; readonly status: 422 | 413; readonly message: string};

export interface UploadContext {
  readonly root: string;
  readonly uploadLimit: number;
  readonly maxInflated: number;
  readonly filing: FilingContext;
  /** the file is a listed record (not just something on disk) */
  listed(file: string): boolean;
  now(): number;
  writeDescription(file: string, text: string): Promise<void>;
  /** take a new or changed record (with its identification when the file is new) */
  commit(record: FirmwareRecord, ident: Identification | null): Promise<void>;
  outcome(level: 'info' | 'warn', text: string): void;
}

export async function ingestUpload(ctx: UploadContext, temp: string, originalName: string, description: string): Promise<UploadResult> {
  const shown = printable(originalName);
  try {
    const data = await readCapped(temp, ctx.uploadLimit);
    if (!data) return {kind: 'too-large', status: 413, message: `Firmware from ${shown} not stored: ${overLimit((await fsp.stat(temp)).size, ctx.uploadLimit)}`};
    const ident = identifyFirmware(data, {maxInflated: ctx.maxInflated});
    const plan = planFiling(path.basename(originalName.replace(/\\/g, '/')), ident);
    const outcome = await fileIdentified(ctx.filing, temp, ident, plan);
    switch (outcome.kind) {
      case 'stored': {
        // the firmware is in place: a description that cannot be written (disk full) must not hide that
        let saved = description;
        let note = '';
        if (description) {
          try {
            await ctx.writeDescription(outcome.file, description);
          } catch (error) {
            saved = '';
            note = `; its description was not saved: ${describeWriteError(error, ctx.root).message}`;
          }
        }
        const record = makeRecord(outcome.file, plan.ok ? plan.name : '', plan.ok ? plan.version : '', ident, plan.ok && plan.fromMarkers, saved, ctx.now());
        await ctx.commit(record, ident);
        ctx.outcome(note ? 'warn' : 'info', `Uploaded ${shown} as ${record.file} (${summary(record)})${note}`);
        return {kind: 'stored', status: 200, record, message: `Firmware from ${shown} uploaded as ${path.join(ctx.root, record.file)}${note}`};
      }
      case 'identical': {
        let record = outcome.existing;
        // the description is stored even while the file is not listed yet (still settling after a copy,
        // or before the first scan): the listing reads it from <name>-<version>.txt
        const changed = description !== '' && description !== record.description;
        if (changed) {
          await ctx.writeDescription(record.file, description);
          record = {...record, description};
          if (ctx.listed(record.file)) await ctx.commit(record, null);
        }
        ctx.outcome('info', `Upload of ${shown} is identical to ${record.file}, already stored${changed ? '; description updated' : ''}`);
        const what = changed ? 'description updated' : description ? 'nothing changed (the same description)' : 'nothing changed';
        return {kind: 'identical', status: 200, record, message: `Firmware from ${shown} is identical to ${record.file}, which is already stored; ${what}`};
      }
      case 'conflict':
        ctx.outcome('warn', `Upload of ${shown} refused: ${outcome.reason}`);
        return {kind: 'conflict', status: 409, record: outcome.existing, message: `Firmware from ${shown} not stored: ${outcome.reason}`};
      case 'invalid':
        ctx.outcome('warn', `Upload of ${shown} refused: ${outcome.reason}`);
        return {kind: 'invalid', status: 422, message: `No valid firmware in ${shown}: ${outcome.reason}`};
    }
  } finally {
    await fsp.rm(temp, {force: true}).catch(() => {});
  }
}
