import module from 'node:module';

/**
 * Installs ink-cache-hooks before Ink is first imported (Node ≥ 20.6; older Node runs without them).
 * Returns whether the hooks are in place.
 */
export function boundInkCaches(): boolean {
  const register = (module as {register?: (specifier: string, parentURL: string) => void}).register;
  if (typeof register !== 'function') return false;
  try {
    register('./ink-cache-hooks.js', import.meta.url);
    return true;
  } catch {
    // never a reason not to start the dashboard
    return false;
  }
}
