/**
 * The first path segments of homie-ota's own HTTP routes. OTA_ENDPOINT must not start with one of
 * them: a pull client asking there would get the health JSON or an API answer with 200 instead of
 * firmware, or the route would be hidden. A test checks every registered route against this list,
 * so a new route cannot be added without it.
 */
export const RESERVED_SEGMENTS: readonly string[] = ['healthz', 'api', 'upload', 'update', 'firmware', 'device'];

/** The reserved route an endpoint path would collide with, e.g. "/healthz", or null. */
export function reservedClash(endpoint: string): string | null {
  const first = endpoint.split('/').find(segment => segment !== '');
  return first !== undefined && RESERVED_SEGMENTS.includes(first) ? `/${first}` : null;
}
