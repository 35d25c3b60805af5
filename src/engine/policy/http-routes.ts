import {sendJson, type RequestContext} from '../http/server.js';
import {readFields, resolveDevices} from '../ota/jobs-api.js';
import type {DeviceLookup, RouteDescriptor} from '../ota/ports.js';
import {settingsInput, type PolicyService} from './policy-service.js';

/**
 * GET/PUT /api/policies (the armed firmware names and their rollout settings, and the pins) and
 * POST/DELETE /api/devices/<id>/pin. Behind the management basic auth like every /api route; the
 * changes answer 403 in --readonly.
 */
export function policyRoutes(policies: PolicyService, devices: DeviceLookup, readonly: boolean): RouteDescriptor[] {
  const writing = (handler: (ctx: RequestContext) => void | Promise<void>) => (ctx: RequestContext) =>
    readonly ? sendJson(ctx.res, 403, {error: 'read-only mode (--readonly): automatic rollouts and pins cannot be changed'}) : handler(ctx);
  const pinRoute = (pinned: boolean) => writing(async ({res, params}) => {
    const id = params.id!;
    const resolved = resolveDevices(devices, [id]);
    // a pin of a device that is not in the inventory (forgotten) can still be taken off by key or id
    const known = policies.pins().filter(p => p.key === id || p.id === id).map(p => p.key);
    const keys = resolved.keys.length > 0 ? resolved.keys : pinned ? [] : known;
    if (keys.length === 0) return sendJson(res, resolved.problems.some(p => p.includes('ambiguous')) ? 409 : 404, {error: resolved.problems.join('; ') || `no device ${id}`});
    const outcome = policies.setPinned(keys, pinned);
    await policies.saved();
    sendJson(res, outcome.ok ? 200 : 409, outcome.ok ? {ok: true, message: outcome.message, pinned: keys.map(key => policies.isPinned(key))[0]} : {error: outcome.message});
  });
  return [
    {method: 'GET', path: '/api/policies', handler: ({res}) => sendJson(res, 200, policiesJson(policies))},
    {method: 'PUT', path: '/api/policies', handler: writing(async ({req, res}) => {
      let fields: Record<string, unknown>;
      try {
        fields = await readFields(req);
      } catch (error) {
        return sendJson(res, (error as {status?: number}).status ?? 400, {error: `cannot read the request: ${(error as Error).message}`});
      }
      const given = fields.policies;
      if (!given || typeof given !== 'object' || Array.isArray(given)) {
        return sendJson(res, 400, {error: 'policies: expected an object of firmware name → settings, e.g. {"policies": {"relay": {"window": "02:00-05:00"}}}; names left out are disarmed'});
      }
      const outcome = policies.replace(given as Record<string, unknown>);
      await policies.saved();
      sendJson(res, outcome.ok ? 200 : outcome.status ?? 400, outcome.ok ? policiesJson(policies) : {error: outcome.message});
    })},
    {method: 'PUT', path: '/api/policies/:name', handler: writing(async ({req, res, params}) => {
      // arming is said in a body: a bare PUT (a probe, a typo in a script) arms nothing
      if (!req.headers['transfer-encoding'] && (req.headers['content-length'] ?? '0') === '0') {
        return sendJson(res, 400, {error: 'send the rollout settings as JSON ({} for the defaults), e.g. {"window": "02:00-05:00"}'});
      }
      let fields: Record<string, unknown>;
      try {
        fields = await readFields(req);
      } catch (error) {
        return sendJson(res, (error as {status?: number}).status ?? 400, {error: `cannot read the request: ${(error as Error).message}`});
      }
      const outcome = policies.arm(params.name!, fields);
      await policies.saved();
      sendJson(res, outcome.ok ? 200 : 400, outcome.ok ? {...policiesJson(policies), message: outcome.message} : {error: outcome.message});
    })},
    {method: 'DELETE', path: '/api/policies/:name', handler: writing(async ({res, params}) => {
      const outcome = policies.disarm(params.name!);
      await policies.saved();
      sendJson(res, outcome.ok ? 200 : 404, outcome.ok ? {...policiesJson(policies), message: outcome.message} : {error: outcome.message});
    })},
    {method: 'POST', path: '/api/devices/:id/pin', slashParams: true, handler: pinRoute(true)},
    {method: 'DELETE', path: '/api/devices/:id/pin', slashParams: true, handler: pinRoute(false)},
  ];
}

export function policiesJson(policies: PolicyService): Record<string, unknown> {
  return {
    policies: Object.fromEntries(policies.armed().map(p => [p.name, {
      ...settingsInput(p.settings),
      handled: p.handled,
      rollout: p.rollout,
      status: p.status,
    }])),
    pins: policies.pins().map(p => ({key: p.key, id: p.id, pinnedAt: new Date(p.pinnedAt).toISOString()})),
  };
}
