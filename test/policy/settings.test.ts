import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {parseCommandLine} from '../../src/args.js';
import {MAIN_FLAGS} from '../../src/cli.js';
import type {CliOverrides} from '../../src/config/load.js';
import {prepareStart} from '../../src/startup.js';
import {engineFixture} from '../helpers/engine-fixture.js';

const fixture = engineFixture();

function fromArgv(argv: string[]) {
  const parsed = parseCommandLine(argv, MAIN_FLAGS);
  if (!parsed.ok) throw new Error(parsed.error);
  const prepared = prepareStart({...(parsed.flags as CliOverrides), firmwareDir: 'firmwares', logFile: 'none'}, {}, fixture.dir);
  if (!prepared.ok) throw new Error(prepared.problems.join('; '));
  return prepared.config;
}

describe('WATCH and AUTO_ROLLOUT settings', () => {
  it('--watch is repeatable, ~ is the home folder, a relative pattern is taken from the working folder; --no-watch still turns the drop folder off', () => {
    const config = fromArgv(['--watch', '~/src/*/.pio/build/*/firmware.bin', '--watch=builds/{a,b}/*.bin']);
    expect(config.watchGlobs).toEqual([path.join(os.homedir(), 'src/*/.pio/build/*/firmware.bin'), path.join(fixture.dir, 'builds/{a,b}/*.bin')]);
    expect(config.watch).toBe(true);
    const both = fromArgv(['--no-watch', '--watch', '/x/*.bin']);
    expect(both.watch).toBe(false);
    expect(both.watchGlobs).toEqual(['/x/*.bin']);
    expect(fromArgv(['--no-watch']).watchGlobs).toEqual([]);
  });

  it('reads both from the ini, comma-separated; a wrong name stops the start naming the key', async () => {
    const {engine} = await fixture.start({ini: ['[global]', 'WATCH = ~/src/*/.pio/build/*/firmware.bin, ~/Arduino/build/**/*.ino.bin', 'AUTO_ROLLOUT = relay, sensor']});
    expect(engine.config.watchGlobs).toEqual([path.join(os.homedir(), 'src/*/.pio/build/*/firmware.bin'), path.join(os.homedir(), 'Arduino/build/**/*.ino.bin')]);
    expect(engine.policies.armed().map(p => p.name)).toEqual(['relay', 'sensor']);
    expect(engine.policies.armed()[0]!.settings).toEqual({canary: true, concurrency: 2, maxFailures: 1, outdatedOnly: true, onlineOnly: false, window: null});
    const bad = prepareStart({config: 'bad.ini', firmwareDir: 'firmwares', logFile: 'none'}, {}, writeIni(['[global]', 'AUTO_ROLLOUT = relay, bad name!']));
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.problems).toEqual(['[global] AUTO_ROLLOUT (bad.ini) "relay, bad name!": "bad name!" is not a firmware name (letters, digits and . _ + ~ -, at most 32); give names as in Homie_setFirmware(), e.g. relay, sensor']);
  });

  it('a name disarmed by the user stays disarmed at the next start, though AUTO_ROLLOUT names it', async () => {
    const dir = fixture.tempDir('auto');
    const ini = ['[global]', 'AUTO_ROLLOUT = relay'];
    const first = await fixture.start({dir, ini});
    expect(first.engine.policies.disarm('relay')).toMatchObject({ok: true});
    await first.engine.stop();
    const second = await fixture.start({dir, ini});
    expect(second.engine.policies.armed()).toEqual([]);
    expect(second.engine.logger.recent().some(e => /AUTO_ROLLOUT names relay, but it was disarmed/.test(e.message))).toBe(true);
  });
});

function writeIni(lines: string[]): string {
  const dir = fixture.tempDir('ini');
  fs.writeFileSync(path.join(dir, 'bad.ini'), lines.join('\n'));
  return dir;
}
