import {printable} from '../engine/util/text.js';
import type {ConsoleSink} from '../ui/run-ui.js';
import {RemoteError, type Target} from './http-client.js';

/** The environment variables an attached dashboard reads its login from (never a flag: `ps` shows flags). */
export const PASSWORD_ENV = 'HOMIE_OTA_PASSWORD';
export const USER_ENV = 'HOMIE_OTA_USER';

/** The login to use: --user, else $HOMIE_OTA_USER, else the ini's HTTP_USER; the password from $HOMIE_OTA_PASSWORD, else the ini's HTTP_PASSWORD. */
export function loginFor(url: string, given: {user?: string; ini?: {user?: string; password?: string}}, env: NodeJS.ProcessEnv = process.env): Target {
  const user = given.user || env[USER_ENV] || given.ini?.user;
  const password = env[PASSWORD_ENV] ?? given.ini?.password;
  return {url: url.replace(/\/+$/, ''), ...(user ? {user, password: password ?? ''} : {})};
}

/** A URL typed by the user, checked: http(s), a host; no path beyond "/". */
export function checkUrl(text: string): {url: string} | {error: string} {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    return {error: `${text} is not a URL; give one such as http://pi.local:9080`};
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return {error: `${text}: homie-ota is reached over http:// or https://`};
  if (url.username || url.password) return {error: `${text}: put no login in the URL (it shows in ps); use --user and ${PASSWORD_ENV}`};
  return {url: `${url.protocol}//${url.host}`};
}

async function loadDashboard() {
  // Ink prints only a final frame under CI, and React's development build renders several times slower
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  process.env.NODE_ENV ??= 'production';
  return import('../ui/run-ui.js');
}

function say(text: string): void {
  process.stderr.write(`homie-ota: ${printable(text)}\n`);
}

/**
 * Attach the dashboard to the homie-ota at `target` until the user quits; the service keeps running.
 * Loads no engine, broker or MQTT client. Returns the exit status: 0 after detaching, 2 when the
 * service cannot be reached or refuses the login (said on stderr, what to do included).
 */
export async function runAttached(target: Target): Promise<number> {
  // the dashboard's modules load while the service sends its state (on a Pi, Ink takes a while)
  const dashboard = loadDashboard();
  dashboard.catch(() => {});
  const {connectRemote} = await import('./remote-source.js');
  let source: Awaited<ReturnType<typeof connectRemote>>;
  try {
    source = await connectRemote(target);
  } catch (error) {
    say(error instanceof RemoteError ? error.message : `cannot attach to ${target.url}: ${(error as Error).message}`);
    return 2;
  }
  const {runUi} = await dashboard;
  const held: string[] = [];
  const sink: ConsoleSink = {debug: () => {}, info: () => {}, warn: text => held.push(text), error: text => held.push(text)};
  const ui = runUi({store: source.store, actions: source.actions, console: sink});
  const detach = () => {
    ui.close();
    source.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, detach);
  await ui.exited;
  detach();
  for (const text of held.slice(-20)) say(text);
  process.stdout.write(`detached from ${printable(target.url)}; homie-ota keeps running there\n`);
  return 0;
}
