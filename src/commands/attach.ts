import {optionRows, parseCommandLine, type CommandFlag} from '../args.js';
import {loadConfig} from '../config/load.js';
import {runningHolder} from '../engine/instance-lock.js';
import {printable} from '../engine/util/text.js';
import {checkUrl, loginFor, PASSWORD_ENV, runAttached, USER_ENV} from '../remote/attach.js';

/**
 * `homie-ota attach [URL]`: the dashboard of a homie-ota running elsewhere (a systemd service, another
 * host), through its HTTP API. Without a URL, the instance that owns this machine's firmware folder.
 */
const FLAGS: readonly CommandFlag[] = [
  {name: 'user', type: 'string', arg: 'NAME', help: `the HTTP_USER to log in as (else $${USER_ENV}, else the ini's HTTP_USER);\nthe password comes from $${PASSWORD_ENV}, else the ini's HTTP_PASSWORD`},
  {name: 'config', type: 'string', arg: 'FILE', help: 'INI file to read the login and firmware folder from (else $INIFILE, else ./homie-ota.ini)'},
  {name: 'help', type: 'boolean', short: 'h', help: 'show this help'},
];

export const USAGE = `Usage: homie-ota attach [URL] [--user NAME]

  The dashboard of a homie-ota that is already running (a --headless systemd service, or another
  host), over its HTTP API: every view and key works as in the local dashboard; q detaches and leaves
  the service running. Without URL, the homie-ota that owns the firmware folder of this machine's
  settings (its lock names its address). The password is never a flag (ps shows flags): set
  ${PASSWORD_ENV}, or keep HTTP_PASSWORD in the ini.
  Exit status: 0 after detaching, 2 when the service cannot be reached or refuses the login.

  Options
${optionRows(FLAGS, 15)}`;

function fail(text: string): number {
  process.stderr.write(`homie-ota attach: ${printable(text)}\n`);
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv, FLAGS);
  if (!cli.ok) return fail(`${cli.error}; homie-ota attach --help shows the options`);
  if (cli.flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cli.input.length > 1) return fail('give one URL at most');
  const loaded = loadConfig(cli.flags.config ? {config: cli.flags.config as string} : {});
  const ini = loaded.ok ? {user: loaded.config.http.user, password: loaded.config.http.password} : undefined;
  let url: string;
  if (cli.input[0]) {
    const checked = checkUrl(cli.input[0]);
    if ('error' in checked) return fail(checked.error);
    url = checked.url;
  } else {
    if (!loaded.ok) return fail(`cannot read the settings (${loaded.errors[0] ?? 'unknown problem'}); give the service's URL: homie-ota attach http://host:port`);
    const holder = runningHolder(loaded.config.firmwareRoot);
    if (!holder) return fail(`no homie-ota is running on ${loaded.config.firmwareRoot}; start one, or give its URL: homie-ota attach http://host:port`);
    url = holder.endpoints.http.url;
  }
  return runAttached(loginFor(url, {user: cli.flags.user as string | undefined, ini}));
}
