import fs from 'node:fs';
import path from 'node:path';
import {afterEach} from 'vitest';
import type {CliOverrides} from '../../src/config/load.js';
import {createEngine, type Engine, type EngineOptions} from '../../src/engine/engine.js';
import {startFleet, type Fleet, type FleetOptions} from '../../src/sim/index.js';
import {startAedes, type TestBroker} from './aedes.js';
import {testConfig} from './config.js';
import {startMosquitto, type Mosquitto} from './mosquitto.js';
import {tempDir} from './tmp.js';

export interface EngineSetup {
  /** the folder the engine runs in (default: the fixture's folder for this test, `world.dir`) */
  readonly dir?: string;
  /** lines of a homie-ota.ini written into the folder before the engine reads its configuration */
  readonly ini?: readonly string[];
  readonly overrides?: CliOverrides;
  readonly env?: NodeJS.ProcessEnv;
  readonly options?: EngineOptions;
  /**
   * Where the engine's MQTT broker comes from: its own embedded one (the default, unless
   * `overrides.mqtt` names one), a fresh in-process aedes, or a fresh stock mosquitto.
   */
  readonly broker?: 'embedded' | 'aedes' | 'mosquitto';
  /** a simulated fleet on the engine's broker, started once the engine is up (`url` is filled in) */
  readonly fleet?: Partial<FleetOptions>;
}

export interface StartedEngine {
  readonly engine: Engine;
  readonly dir: string;
  readonly fleet?: Fleet;
  readonly mosquitto?: Mosquitto;
  readonly aedes?: TestBroker;
}

export interface EngineFixture {
  /** this test's temporary folder, made on first use and removed at teardown */
  readonly dir: string;
  /** another temporary folder, removed at teardown */
  tempDir(prefix?: string): string;
  /** an engine not started yet (stopped at teardown), on its embedded broker unless `overrides.mqtt` names one */
  create(setup?: Omit<EngineSetup, 'broker' | 'fleet'>): Engine;
  /** a broker, engine and fleet, started in that order, and stopped in the reverse order at teardown */
  start(setup?: EngineSetup): Promise<StartedEngine>;
  mosquitto(options?: Parameters<typeof startMosquitto>[0]): Promise<Mosquitto>;
  aedes(port?: number): Promise<TestBroker>;
  /** a fleet on `url`, stopped at teardown before any engine or broker */
  fleet(options: FleetOptions): Fleet;
  /** stop everything this fixture made and remove its folders; safe to call again */
  teardown(): Promise<void>;
}

/**
 * One place for an engine test's set-up and teardown. Call it in a describe block (or at the top of a
 * file): it registers its own afterEach, which stops the fleets, then the engines, then the brokers it
 * started, and removes every folder it made, also when the test failed half-way. A step that fails
 * does not stop the others; the first failure is thrown once everything has been tried.
 */
export function engineFixture(): EngineFixture {
  const fixture = engineParts();
  afterEach(() => fixture.teardown());
  return fixture;
}

/** The same, without the afterEach: for a helper called inside a test, whose caller tears it down. */
export function engineParts(): EngineFixture {
  const fleets: Fleet[] = [];
  const engines: Engine[] = [];
  const brokers: Array<() => Promise<void>> = [];
  const folders: Array<() => void> = [];
  let own: string | null = null;

  const makeDir = (prefix?: string) => {
    const made = tempDir(prefix);
    folders.push(made.cleanup);
    return made.dir;
  };
  const folder = () => (own ??= makeDir());

  const create: EngineFixture['create'] = (setup = {}) => {
    const dir = setup.dir ?? folder();
    if (setup.ini) fs.writeFileSync(path.join(dir, 'homie-ota.ini'), setup.ini.join('\n') + '\n');
    const broker = setup.overrides?.mqtt ? {} : {brokerPort: '0'};
    const engine = createEngine(testConfig(dir, {...broker, ...setup.overrides}, setup.env), setup.options);
    engines.push(engine);
    return engine;
  };

  const fixture: EngineFixture = {
    get dir() {
      return folder();
    },
    tempDir: makeDir,
    create,
    async mosquitto(options) {
      const broker = await startMosquitto(options);
      brokers.push(() => broker.stop());
      return broker;
    },
    async aedes(port) {
      const broker = await startAedes(port);
      brokers.push(() => broker.close());
      return broker;
    },
    fleet(options) {
      const fleet = startFleet(options);
      fleets.push(fleet);
      return fleet;
    },
    async start(setup = {}) {
      const mosquitto = setup.broker === 'mosquitto' ? await fixture.mosquitto() : undefined;
      const aedes = setup.broker === 'aedes' ? await fixture.aedes() : undefined;
      const url = mosquitto?.url ?? aedes?.url;
      const dir = setup.dir ?? folder();
      const engine = create({...setup, dir, overrides: {...(url && {mqtt: url}), ...setup.overrides}});
      await engine.start();
      const fleet = setup.fleet ? fixture.fleet({
        url: url ?? `mqtt://127.0.0.1:${engine.broker!.boundPort}`,
        otaHttpUrl: `http://127.0.0.1:${engine.http.boundPort}${engine.config.http.endpoint}`,
        ...setup.fleet,
      }) : undefined;
      return {engine, dir, fleet, mosquitto, aedes};
    },
    async teardown() {
      const steps = [
        ...fleets.splice(0).reverse().map(f => () => f.stop()),
        ...engines.splice(0).reverse().map(e => () => e.stop()),
        ...brokers.splice(0).reverse(),
        ...folders.splice(0).reverse(),
      ];
      own = null;
      const failures: unknown[] = [];
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length) throw failures[0];
    },
  };
  return fixture;
}
