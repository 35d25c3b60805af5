import type {Engine} from '../engine/engine.js';
import type {Notice} from '../engine/events.js';
import {readBody, sendJson, type RouteDescriptor} from '../engine/http/server.js';
import type {DeviceFocus} from '../store/dashboard-store.js';
import {StreamHub, type StreamHubOptions} from './stream-hub.js';

/** The part of the engine the attach routes read. */
export type StreamEngine = Pick<Engine, 'inventory' | 'ota' | 'notice'>;

const LEVELS: ReadonlySet<string> = new Set<Notice['level']>(['info', 'warn', 'error']);
const MAX_NOTICE = 1000;

/** The device detail the attached dashboard shows (what the local dashboard's focus holds). */
export function deviceFocus(engine: StreamEngine, key: string): DeviceFocus {
  return {
    key,
    detail: engine.inventory.get(key) ? engine.inventory.detail(key) : undefined,
    activeJob: engine.ota.activeJobFor(key),
    history: engine.ota.historyFor(key),
  };
}

/**
 * The routes an attached dashboard needs beside the HTTP API: the live stream, a device's detail
 * and notices. The stream's store (the dashboard's snapshots of this engine) is loaded and built on
 * the first client and dropped after the last, so an instance nobody attaches to pays nothing.
 */
export function attachRoutes(engine: Engine, options: Omit<StreamHubOptions, 'version'> & {version: string}): {hub: StreamHub; routes: RouteDescriptor[]} {
  const hub = new StreamHub(async () => {
    const {createEngineSource} = await import('../store/engine-source.js');
    return createEngineSource(engine).store;
  }, options);
  const routes: RouteDescriptor[] = [
    {method: 'GET', path: '/api/stream', handler: ({req, res}) => hub.attach(req, res)},
    {method: 'GET', path: '/api/focus/:key', slashParams: true, handler: ({res, params}) => sendJson(res, 200, deviceFocus(engine, params.key!))},
    {method: 'POST', path: '/api/notices', handler: async ({req, res}) => {
      let body: {area?: unknown; level?: unknown; text?: unknown};
      try {
        body = JSON.parse((await readBody(req, 16 * 1024)).toString('utf8')) as typeof body;
      } catch {
        return sendJson(res, 400, {error: 'send JSON: {"area", "level", "text"}'});
      }
      const {area, level, text} = body ?? {};
      if (typeof area !== 'string' || typeof text !== 'string' || typeof level !== 'string' || !LEVELS.has(level)) {
        return sendJson(res, 400, {error: 'area and text are strings, level is info, warn or error'});
      }
      engine.notice(area.slice(0, 40), level as Notice['level'], text.slice(0, MAX_NOTICE));
      sendJson(res, 200, {ok: true});
    }},
  ];
  return {hub, routes};
}
