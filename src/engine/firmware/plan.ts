import {firmwareFileName, parseFirmwareFileName} from './file-name.js';
import {NO_MARKERS_REASON, type Identification} from './identify.js';

/**
 * Where a firmware file belongs, decided from its bytes and its current file name. Pure.
 * - markers inside: `<name>-<version>.bin` from the markers (the listing never disagrees with what
 *   the device will report after the update);
 * - no markers, but a valid image already named `<name>-<version>.bin`: accepted from its name, as the
 *   original did;
 * - otherwise: not storable, with the reason.
 */
export type FilingPlan =
  | {readonly ok: true; readonly name: string; readonly version: string; readonly file: string; readonly fromMarkers: boolean}
  | {readonly ok: false; readonly reason: string};

export function planFiling(fileName: string, ident: Identification): FilingPlan {
  if (ident.problem) return {ok: false, reason: ident.problem};
  if (ident.name && ident.version) {
    const target = firmwareFileName(ident.name, ident.version);
    if ('problem' in target) return {ok: false, reason: target.problem};
    return {ok: true, name: ident.name, version: ident.version, file: target.file, fromMarkers: true};
  }
  const parsed = parseFirmwareFileName(fileName);
  if (parsed) return {ok: true, name: parsed.name, version: parsed.version, file: fileName, fromMarkers: false};
  return {ok: false, reason: NO_MARKERS_REASON};
}
