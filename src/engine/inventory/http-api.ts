import {sendJson, sendText, type RequestContext, type RouteDescriptor} from '../http/server.js';
import {printable} from '../util/text.js';
import {matchesFilter, parseFilter} from './filter.js';
import type {ForgetResult, Inventory, Lookup} from './inventory.js';

/** A forget that takes longer (a device flooded with retained topics) is answered 202 after this long. */
const FORGET_ANSWER_MS = 5000;

/**
 * The inventory's HTTP routes (all behind basic auth when it is on):
 *   GET    /api/devices              list (?filter= takes the TUI filter syntax, ?prefix= one prefix); each
 *                                     record with `loading`: its retained attributes are still arriving
 *   GET    /api/devices/<id or key>  one device with attributes, stats, nodes and properties
 *   GET    /api/inventory            counts, discovery progress, inventory.json state
 *   DELETE /api/devices/<id or key>  forget: clear its retained topics (JSON answer)
 *   DELETE /device/<id>              the original's route (text "Deleted topics for <id>")
 * A device is named by its key ("homie/kitchen", "homie/5/kitchen"; as path segments or URL-encoded)
 * or by its bare id when that id is unique; an ambiguous bare id gets 409 with the keys to choose from.
 */
const KEY_PATTERNS = ['/:a', '/:a/:b', '/:a/:b/:c', '/:a/:b/:c/:d', '/:a/:b/:c/:d/:e'];

/** The inventory routes, in the order the engine registers them. */
export function inventoryRoutes(inventory: Inventory): RouteDescriptor[] {
  const routes: RouteDescriptor[] = [
    {method: 'GET', path: '/api/devices', handler: ctx => listDevices(ctx, inventory)},
    {method: 'GET', path: '/api/inventory', handler: ({res}) => sendJson(res, 200, inventory.status)},
  ];
  for (const pattern of KEY_PATTERNS) {
    routes.push({method: 'GET', path: `/api/devices${pattern}`, handler: ctx => getDevice(ctx, inventory), slashParams: true});
    routes.push({method: 'DELETE', path: `/api/devices${pattern}`, handler: ctx => deleteDevice(ctx, inventory, 'json'), slashParams: true});
  }
  routes.push({method: 'DELETE', path: '/device/:a', handler: ctx => deleteDevice(ctx, inventory, 'text'), slashParams: true});
  return routes;
}

function keyOf(ctx: RequestContext): string {
  return ['a', 'b', 'c', 'd', 'e'].map(name => ctx.params[name]).filter((part): part is string => part !== undefined).join('/');
}

function listDevices({res, url}: RequestContext, inventory: Inventory): void {
  let list = inventory.list();
  const prefix = url.searchParams.get('prefix');
  if (prefix) list = list.filter(r => r.prefix === prefix);
  const filterText = url.searchParams.get('filter');
  if (filterText) {
    const filter = parseFilter(filterText, url.searchParams.get('invert') === 'true');
    list = list.filter(r => matchesFilter(r, filter));
  }
  sendJson(res, 200, list.map(record => ({...record, loading: inventory.isLoading(record.key)})));
}

function notFound(ctx: RequestContext, key: string, found: Lookup): boolean {
  if (found === null) {
    sendJson(ctx.res, 404, {error: `no device ${printable(key)} in the inventory`, hint: 'GET /api/devices lists the devices and their keys'});
    return true;
  }
  if ('ambiguous' in found) {
    sendJson(ctx.res, 409, {error: `the id ${printable(key)} is used under several prefixes; name the device by its key`, keys: found.ambiguous});
    return true;
  }
  return false;
}

function getDevice(ctx: RequestContext, inventory: Inventory): void {
  const key = keyOf(ctx);
  const found = inventory.lookup(key);
  if (notFound(ctx, key, found) || !found || 'ambiguous' in found) return;
  sendJson(ctx.res, 200, {...inventory.detail(found.entry.key), loading: inventory.isLoading(found.entry.key)});
}

async function deleteDevice(ctx: RequestContext, inventory: Inventory, style: 'json' | 'text'): Promise<void> {
  const key = keyOf(ctx);
  if (inventory.readonly) {
    const message = 'read-only mode (--readonly): forgetting devices is off';
    return style === 'json' ? sendJson(ctx.res, 403, {error: message}) : sendText(ctx.res, 403, message);
  }
  // a forget that runs already (the device has left the list): how far it is
  const running = inventory.forgetting(key);
  if (running) return answerRunning(ctx, style, running.key, running.progress);
  const found = inventory.lookup(key);
  if (style === 'text' && (found === null || 'ambiguous' in found)) {
    const message = found === null ? `Unable to find ${printable(key)} in device list` : `${printable(key)} is used under several prefixes: ${found.ambiguous.join(', ')}; use DELETE /api/devices/<key>`;
    return sendText(ctx.res, found === null ? 404 : 409, message);
  }
  if (notFound(ctx, key, found) || !found || 'ambiguous' in found) return;
  const work = inventory.forget(found.entry.key);
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([work, new Promise<null>(resolve => (timer = setTimeout(() => resolve(null), FORGET_ANSWER_MS)))]).finally(() => clearTimeout(timer));
  if (result === null) {
    const progress = inventory.forgetting(found.entry.key)?.progress ?? {found: 0, cleared: 0, failed: 0};
    return answerRunning(ctx, style, found.entry.key, progress);
  }
  answerForgotten(ctx, style, found.entry.id, result);
}

function answerForgotten(ctx: RequestContext, style: 'json' | 'text', id: string, result: ForgetResult): void {
  if (style === 'text') return sendText(ctx.res, result.ok ? 200 : result.status, result.ok ? `Deleted topics for ${printable(id)}` : result.message);
  if (!result.ok) return sendJson(ctx.res, result.status, {error: result.message});
  sendJson(ctx.res, 200, {key: result.key, cleared: result.cleared, failed: result.failed, wasOnline: result.wasOnline, message: result.message});
}

/** 202: the forget goes on in the background; the log says when it is done. */
function answerRunning(ctx: RequestContext, style: 'json' | 'text', key: string, progress: {found: number; cleared: number; failed: number}): void {
  const message = `forgetting ${printable(key)}: ${progress.cleared} of the ${progress.found} retained topics found so far are cleared; it goes on in the background and the log says when it is done (ask again to see how far it is)`;
  if (style === 'text') return sendText(ctx.res, 202, message);
  sendJson(ctx.res, 202, {key, done: false, ...progress, message});
}
