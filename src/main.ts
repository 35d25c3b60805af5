#!/usr/bin/env node
import meow from 'meow';
import {MAIN_FLAGS, MAIN_HELP} from './cli.js';
import {loadConfig} from './config/load.js';
import {createEngine} from './engine/create-engine.js';
import type {Engine} from './engine/engine.js';
import {InstanceLock} from './engine/instance-lock.js';
import {StartupError} from './engine/util/startup-error.js';
import {printable} from './engine/util/text.js';
import {runHeadless} from './headless/headless.js';
import {Shutdown} from './shutdown.js';
import {SUBCOMMANDS} from './commands.js';
import {VERSION} from './version.js';

async function main(argv: string[]): Promise<void> {
  const sub = argv[0] ? SUBCOMMANDS[argv[0]] : undefined;
  if (sub) {
    const code = await (await sub()).main(argv.slice(1));
    process.exitCode = code;
    return;
  }
  // NO_COLOR is honoured by the dashboard's theme (every colour resolves to none) and not mapped onto
  // FORCE_COLOR=0: that would also turn off inverse video and bold, and the cursor row would vanish

  if (argv.includes('--version')) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${MAIN_HELP}\n`);
    return;
  }
  // first of all: a signal ends homie-ota at any moment of its start, before any file is opened
  const shutdown = new Shutdown();
  let engine: Engine | null = null;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      engine?.log.info(`${signal} received; shutting down`);
      void shutdown.run(0, signal);
    });
  }
  process.on('uncaughtException', error => {
    if (engine) engine.log.error(`unexpected error: ${error.stack ?? error.message}`);
    else fail(`unexpected error: ${error.stack ?? error.message}`);
    void shutdown.run(1, 'unexpected error');
  });
  process.on('unhandledRejection', reason => {
    engine?.log.error(`unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`);
  });

  const cli = meow(MAIN_HELP, {importMeta: import.meta, argv, flags: MAIN_FLAGS, allowUnknownFlags: false, description: false, autoHelp: false, autoVersion: false});
  const flags = cli.flags;
  const headless = Boolean(flags.headless) || !process.stdin.isTTY || !process.stdout.isTTY;

  let demo: Awaited<ReturnType<typeof prepareDemo>> | null = null;
  if (flags.demo) {
    demo = await prepareDemo(cli.input[0]);
    if (!demo) return;
  }
  const loaded = loadConfig({...flags, ...(demo?.overrides ?? {}), headless});
  if (!loaded.ok) {
    for (const error of loaded.errors) fail(error);
    fail('not started; fix the settings above (homie-ota --help lists them).');
    process.exitCode = 2;
    return;
  }
  const config = loaded.config;

  // one owner per firmware folder; --readonly writes nothing there and takes no lock
  let lock: InstanceLock | null = null;
  const lockNotes: string[] = [];
  if (!config.readonly) {
    try {
      lock = InstanceLock.acquire(config.firmwareRoot, {version: VERSION}, text => lockNotes.push(text));
    } catch (error) {
      fail(error instanceof StartupError ? error.message : `cannot lock the firmware folder: ${(error as Error).message}`);
      process.exitCode = 2;
      return;
    }
    const held = lock;
    shutdown.add('folder lock', () => held.release());
  }
  const running = createEngine(config);
  engine = running;
  for (const note of lockNotes) running.log.warn(note);
  for (const warning of loaded.warnings) running.log.warn(warning);
  shutdown.add('engine', () => running.stop());

  // the dashboard's modules load while the engine starts (the broker, the first inventory load)
  const dashboardModules = headless ? null : loadDashboard(running);
  dashboardModules?.catch(() => {});
  try {
    await running.start();
  } catch (error) {
    fail(error instanceof StartupError ? error.message : `could not start: ${(error as Error).message}`);
    process.exitCode = error instanceof StartupError ? error.exitCode : 1;
    await running.stop();
    lock?.release();
    return;
  }
  lock?.update(running.localEndpoints);
  if (demo) {
    const started = demo;
    await started.start(running);
    shutdown.add('demo', () => started.stop());
  }

  if (headless) {
    process.stdout.on('error', () => {
      // stdout closed (a pipe went away): keep serving, the log file still records
    });
    // printing goes on through the shutdown, so its steps show in the journal too; what is held
    // (a count of repeated lines, the last second's device changes) is printed at the very end
    process.once('exit', runHeadless(running));
    return;
  }

  const [{runUi}, {createEngineSource}] = await dashboardModules!;
  const {store, actions} = createEngineSource(running);
  const ui = runUi({store, actions, console: running.logger.child('console')});
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

async function loadDashboard(engine: ReturnType<typeof createEngine>) {
  // Ink prints only a final frame when it believes it runs under CI (any CI variable, even empty);
  // we are on a terminal, so the dashboard must be live
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  // React's development build (the default without NODE_ENV) renders several times slower
  process.env.NODE_ENV ??= 'production';
  // before Ink loads: its text caches would otherwise grow for as long as the dashboard runs
  const {boundInkCaches} = await import('./ui/bound-ink-caches.js');
  if (!boundInkCaches()) engine.log.debug('Node without module.register: Ink\'s text caches are not bounded');
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
