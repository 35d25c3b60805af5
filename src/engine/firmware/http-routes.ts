import {readBody, sendJson, sendText, wantsJson, type RequestContext, type RouteDescriptor} from '../http/server.js';
import {humanBytes, printable} from '../util/text.js';
import {parseFirmwareFileName} from './file-name.js';
import type {ChangeResult, FirmwareStore} from './store.js';
import {closeAfterAnswer, describeWriteError, receiveUpload} from './upload.js';

/**
 * The firmware routes. Text answers follow the original's wording ("Firmware from X uploaded as Y",
 * "Deleted firmware X") so scripts written for it keep working; `Accept: application/json` (or
 * ?format=json) gets JSON instead. Every route here is a management route (basic auth when set);
 * changes answer 403 in read-only mode.
 */
function answer(ctx: RequestContext, status: number, message: string, json: Record<string, unknown> = {}): void {
  if (wantsJson(ctx)) sendJson(ctx.res, status, {ok: status < 300, message, ...json});
  else sendText(ctx.res, status, message);
}

function readonlyRefusal(ctx: RequestContext, what: string): void {
  answer(ctx, 403, `read-only mode (--readonly): ${what} is off; restart homie-ota without --readonly to change the firmware store`);
}

function answerChange(ctx: RequestContext, result: ChangeResult): void {
  answer(ctx, result.ok ? 200 : result.status, result.message);
}

/** The firmware routes, in the order the engine registers them. */
export function firmwareRoutes(store: FirmwareStore): RouteDescriptor[] {
  return [
    {method: 'POST', path: '/upload', handler: ctx => upload(ctx, store)},
    {method: 'GET', path: '/api/firmware', handler: ({res}) => sendJson(res, 200, {firmware: store.list(), drops: store.drops(), uploadLimit: store.uploadLimit, readonly: store.readonly, watch: store.builds?.status() ?? null})},
    {method: 'GET', path: '/api/firmware/:name/:version', handler: ctx => getFirmware(ctx, store)},
    {method: 'DELETE', path: '/api/firmware/:name/:version', handler: ctx => deleteFirmware(ctx, store)},
    {method: 'PUT', path: '/api/firmware/:name/:version/description', handler: ctx => putDescription(ctx, store)},
    // the original's route: DELETE /firmware/<name>-<version>.bin (the original deleted any file in the folder)
    {method: 'DELETE', path: '/firmware/:file', handler: ctx => deleteFile(ctx, store)},
  ];
}

async function upload(ctx: RequestContext, store: FirmwareStore): Promise<void> {
  const {req, res} = ctx;
  if (store.readonly) {
    closeAfterAnswer(req, res);
    return readonlyRefusal(ctx, 'uploading');
  }
  const limit = store.uploadLimit;
  const tooLarge = `larger than the upload limit of ${humanBytes(limit)} (OTA_UPLOAD_LIMIT in homie-ota.ini)`;
  const declared = Number(req.headers['content-length'] ?? NaN);
  // the multipart framing adds a little; far above the limit is refused before reading anything
  if (Number.isFinite(declared) && declared > limit + 64 * 1024) {
    closeAfterAnswer(req, res);
    return answer(ctx, 413, `Upload not stored: ${humanBytes(declared)} is ${tooLarge}`, {outcome: 'too-large'});
  }
  const received = await receiveUpload(req, {dir: store.root, fileSize: limit});
  switch (received.kind) {
    case 'aborted':
      if (!res.headersSent) res.destroy();
      return;
    case 'bad':
      closeAfterAnswer(req, res);
      return answer(ctx, 400, `Upload not understood: ${received.message}. Send the firmware as multipart form data, e.g. curl -F upload=@firmware.bin -F description="what changed" http://HOST:PORT/upload`, {outcome: 'bad-request'});
    case 'missing':
      return answer(ctx, 400, 'File is missing: send the firmware in the multipart field "upload", e.g. curl -F upload=@firmware.bin http://HOST:PORT/upload', {outcome: 'missing'});
    case 'too-large':
      closeAfterAnswer(req, res);
      return answer(ctx, 413, `Firmware from ${printable(received.filename)} not stored: it is ${tooLarge}`, {outcome: 'too-large'});
    case 'write-failed':
      closeAfterAnswer(req, res);
      return answer(ctx, received.status, `Upload not stored: ${received.message}`, {outcome: 'write-failed'});
    case 'file': {
      let result: Awaited<ReturnType<typeof store.ingestUpload>>;
      try {
        result = await store.ingestUpload(received.temp, received.filename, received.description);
      } catch (error) {
        const failed = describeWriteError(error, store.root);
        return answer(ctx, failed.status, `Firmware from ${printable(received.filename)} not stored completely: ${failed.message}`, {outcome: 'write-failed'});
      }
      return answer(ctx, result.status, result.message, {outcome: result.kind, ...('record' in result ? {firmware: result.record} : {})});
    }
  }
}

function getFirmware(ctx: RequestContext, store: FirmwareStore): void {
  const record = store.find(ctx.params.name!, ctx.params.version!);
  if (!record) return sendJson(ctx.res, 404, {ok: false, message: `no firmware ${printable(ctx.params.name!)} ${printable(ctx.params.version!)} in the store`});
  sendJson(ctx.res, 200, record);
}

async function deleteFirmware(ctx: RequestContext, store: FirmwareStore): Promise<void> {
  if (store.readonly) return sendJson(ctx.res, 403, {ok: false, message: 'read-only mode (--readonly): firmware cannot be deleted'});
  const result = await store.delete(ctx.params.name!, ctx.params.version!).catch(error => ({ok: false as const, ...describeWriteError(error, store.root)}));
  sendJson(ctx.res, result.ok ? 200 : result.status, {ok: result.ok, message: result.ok ? result.message : `not deleted: ${result.message}`});
}

async function putDescription(ctx: RequestContext, store: FirmwareStore): Promise<void> {
  if (store.readonly) return readonlyRefusal(ctx, 'changing descriptions');
  let text: string;
  try {
    const body = (await readBody(ctx.req, 16 * 1024)).toString('utf8');
    text = /application\/json/i.test(ctx.req.headers['content-type'] ?? '') ? String((JSON.parse(body) as {description?: unknown}).description ?? '') : body;
  } catch {
    return answer(ctx, 400, 'Send the description as text/plain, or as JSON {"description": "…"} (at most 16 KiB)');
  }
  const result = await store.setDescription(ctx.params.name!, ctx.params.version!, text).catch(error => describeWriteError(error, store.root));
  if ('ok' in result) return answerChange(ctx, result);
  answer(ctx, result.status, `Description not saved: ${result.message}`);
}

async function deleteFile(ctx: RequestContext, store: FirmwareStore): Promise<void> {
  const file = ctx.params.file!;
  if (store.readonly) return readonlyRefusal(ctx, 'deleting firmware');
  const parsed = parseFirmwareFileName(file);
  const record = parsed ? store.byFile(file) : undefined;
  if (!record) {
    const why = parsed ? 'does not exist' : 'only firmware files named <name>-<version>.bin can be deleted';
    return answer(ctx, 404, `Unable to delete firmware ${printable(file)}, ${why}`);
  }
  const result = await store.delete(record.name, record.version).catch(error => describeWriteError(error, store.root));
  if ('ok' in result) return answerChange(ctx, result);
  answer(ctx, result.status, `Unable to delete firmware ${printable(file)}: ${result.message}`);
}
