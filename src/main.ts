#!/usr/bin/env node
import {parseCommandLine} from './args.js';
import {MAIN_FLAGS, MAIN_HELP} from './cli.js';
import type {CliOverrides} from './config/load.js';
import type {Config} from './config/schema.js';
import type {Engine} from './engine/engine.js';
import {InstanceLock, runningHolder, type LockEndpoints} from './engine/instance-lock.js';
import {StartupError} from './engine/util/startup-error.js';
import {printable} from './engine/util/text.js';
import {runHeadless} from './headless/headless.js';
import {Shutdown} from './shutdown.js';
import {SUBCOMMANDS} from './commands.js';
import {prepareStart} from './startup.js';
import {VERSION} from './version.js';

type Demo = NonNullable<Awaited<ReturnType<typeof prepareDemo>>>;

async function main(argv: string[]): Promise<void> {
  const sub = argv[0] ? SUBCOMMANDS[argv[0]] : undefined;
  if (sub) {
    const code = await (await sub()).main(argv.slice(1));
    process.exitCode = code;
    return;
  }
  // NO_COLOR is honoured by the dashboard's theme (every colour resolves to none) and not mapped onto
  // FORCE_COLOR=0: that would also turn off inverse video and bold, and the cursor row would vanish

  const cli = parseCommandLine(argv, MAIN_FLAGS);
  if (!cli.ok) {
    fail(`${cli.error}; homie-ota --help lists the options.`);
    process.exitCode = 2;
    return;
  }
  if (cli.flags.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (cli.flags.help) {
    process.stdout.write(`${MAIN_HELP}\n`);
    return;
  }
  await run(cli.flags as CliOverrides, cli.input[0]);
}

/** The main command: settings, folder, lock, engine, then the dashboard or the headless printer. */
async function run(flags: CliOverrides, demoCount: string | undefined): Promise<void> {
  // first of all: a signal ends homie-ota at any moment of its start, before any file is opened
  const shutdown = new Shutdown();
  let engine: Engine | null = null;
  handleSignals(shutdown, () => engine);

  const headless = Boolean(flags.headless) || !process.stdin.isTTY || !process.stdout.isTTY;
  const demo = flags.demo ? await prepareDemo(demoCount) : null;
  if (flags.demo && !demo) return;
  const settings = settle({...flags, ...(demo?.overrides ?? {}), headless});
  if (!settings) return;
  const {config, warnings} = settings;

  // one owner per firmware folder; --readonly writes nothing there and takes no lock
  const lockNotes: string[] = [];
  const taken = config.readonly ? {lock: null} : lockFolder(config, lockNotes, headless);
  if (!taken) return;
  if ('attach' in taken) return attachInstead(taken.attach, config);
  const folderLock = taken.lock;
  if (folderLock) shutdown.add('folder lock', () => folderLock.release());
  // loaded here, not at the top: a dashboard that attaches to a running instance never loads the engine
  const {createEngine} = await import('./engine/engine.js');
  const running = createEngine(config);
  engine = running;
  // the attached dashboards' stream and routes (their store is built only while one is attached)
  const {attachRoutes} = await import('./remote/stream-routes.js');
  const attach = attachRoutes(running, {version: VERSION});
  running.http.register(attach.routes);
  shutdown.add('attached dashboards', () => attach.hub.close());
  for (const note of lockNotes) running.log.warn(note);
  for (const warning of warnings) running.log.warn(warning);
  shutdown.add('engine', () => running.stop());

  // the dashboard's modules load while the engine starts (the broker, the first inventory load)
  const dashboardModules = headless ? null : loadDashboard();
  dashboardModules?.catch(() => {});
  try {
    await running.start();
  } catch (error) {
    fail(error instanceof StartupError ? error.message : `could not start: ${(error as Error).message}`);
    process.exitCode = error instanceof StartupError ? error.exitCode : 1;
    await running.stop();
    folderLock?.release();
    return;
  }
  folderLock?.update(running.localEndpoints);
  if (demo) await startDemo(demo, running, shutdown);
  if (dashboardModules) await showDashboard(running, dashboardModules, shutdown);
  else serveHeadless(running);
}

function handleSignals(shutdown: Shutdown, engine: () => Engine | null): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      engine()?.log.info(`${signal} received; shutting down`);
      void shutdown.run(0, signal);
    });
  }
  process.on('uncaughtException', error => {
    const running = engine();
    if (running) running.log.error(`unexpected error: ${error.stack ?? error.message}`);
    else fail(`unexpected error: ${error.stack ?? error.message}`);
    void shutdown.run(1, 'unexpected error');
  });
  process.on('unhandledRejection', reason => {
    engine()?.log.error(`unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`);
  });
}

/** The settings read and checked, and the firmware folder made; null (exit 2, the problems on stderr) when they are wrong. */
function settle(flags: CliOverrides): {config: Config; warnings: readonly string[]} | null {
  const prepared = prepareStart(flags);
  if (!prepared.ok) {
    for (const problem of prepared.problems) fail(problem);
    fail('not started; fix the settings above (homie-ota --help lists them).');
    process.exitCode = 2;
    return null;
  }
  return prepared;
}

/**
 * The folder's lock; or, for a dashboard, the address of the homie-ota running on it (attach to it);
 * or undefined (exit 2, said on stderr) when another homie-ota holds it.
 */
function lockFolder(config: Config, notes: string[], headless: boolean): {lock: InstanceLock} | {attach: LockEndpoints} | undefined {
  try {
    return {lock: InstanceLock.acquire(config.firmwareRoot, {version: VERSION}, text => notes.push(text))};
  } catch (error) {
    const holder = headless ? null : runningHolder(config.firmwareRoot);
    if (holder) return {attach: holder.endpoints};
    fail(error instanceof StartupError ? error.message : `cannot lock the firmware folder: ${(error as Error).message}`);
    process.exitCode = 2;
    return undefined;
  }
}

/** Another homie-ota runs on this folder: show its dashboard (the login from $HOMIE_OTA_PASSWORD or the ini). */
async function attachInstead(endpoints: LockEndpoints, config: Config): Promise<void> {
  const {loginFor, runAttached} = await import('./remote/attach.js');
  process.stderr.write(`homie-ota: another homie-ota runs on ${printable(config.firmwareRoot)}; attaching to it at ${printable(endpoints.http.url)}\n`);
  process.exitCode = await runAttached(loginFor(endpoints.http.url, {ini: {user: config.http.user, password: config.http.password}}));
}

async function startDemo(demo: Demo, engine: Engine, shutdown: Shutdown): Promise<void> {
  await demo.start(engine);
  shutdown.add('demo', () => demo.stop());
}

function serveHeadless(engine: Engine): void {
  process.stdout.on('error', () => {
    // stdout closed (a pipe went away): keep serving, the log file still records
  });
  // printing goes on through the shutdown, so its steps show in the journal too; what is held
  // (a count of repeated lines, the last second's device changes) is printed at the very end
  process.once('exit', runHeadless(engine));
}

async function showDashboard(engine: Engine, modules: ReturnType<typeof loadDashboard>, shutdown: Shutdown): Promise<void> {
  const [{runUi}, {createEngineSource}] = await modules;
  const {store, actions} = createEngineSource(engine);
  const ui = runUi({store, actions, console: engine.logger.child('console')});
  shutdown.add('dashboard', () => {
    ui.close();
    store.dispose();
  });
  void ui.exited.then(() => shutdown.run(0, 'quit'));
}

/** A line on stderr; text from files and settings is shown escaped, never executed by the terminal. */
function fail(message: string): void {
  process.stderr.write(`homie-ota: ${printable(message)}\n`);
}

async function loadDashboard() {
  // Ink prints only a final frame when it believes it runs under CI (any CI variable, even empty);
  // we are on a terminal, so the dashboard must be live
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  // React's development build (the default without NODE_ENV) renders several times slower
  process.env.NODE_ENV ??= 'production';
  // (Ink's text caches are bounded in the bundle itself: see scripts/build.ts)
  return Promise.all([import('./ui/run-ui.js'), import('./store/engine-source.js')]);
}

async function prepareDemo(count: string | undefined) {
  const {prepareDemo: prepare} = await import('./demo/demo.js');
  return prepare(count);
}

main(process.argv.slice(2)).catch(error => {
  process.stderr.write(`homie-ota: ${printable(String((error as Error).stack ?? error), true)}\n`);
  process.exit(1);
});
