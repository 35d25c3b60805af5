import {describe, expect, it} from 'vitest';
import {runSoak} from '../../../scripts/soak.js';
import {runMosquittoTests} from '../../helpers/mosquitto.js';
import {report, SHORT} from '../../helpers/reliability.js';

/**
 * The soak in a form that fits a test run: the built homie-ota against mosquitto and a churning fleet
 * with OTA jobs coming all the time (SHORT=1: 1 minute, 500 devices; else 5 minutes, 2,000 devices).
 * The 30-minute figure in the README comes from `npm run soak`.
 */
const MINUTES = SHORT ? 1 : 5;
const DEVICES = SHORT ? 500 : 2000;

describe.runIf(runMosquittoTests)('soak', () => {
  it(`runs ${MINUTES} min with ${DEVICES} churning devices and OTA jobs: no error, jobs finish, memory bounded, clean exit`, async () => {
    const lines: string[] = [];
    const result = await runSoak({minutes: MINUTES, devices: DEVICES, reportEvery: 1, warmup: 15, log: line => lines.push(line)});
    report('soak', lines);
    expect(result.problems).toEqual([]);
    expect(result.exitCode).toBe(0);
    // jobs keep reaching a verdict while the fleet churns
    expect(result.jobsDone).toBeGreaterThan(0);
    expect(result.jobsDone + result.jobsFailed + result.jobsOther).toBeGreaterThan(result.jobsRequested / 3);
    expect(result.churned).toBeGreaterThan(MINUTES * 30);
    // a bound, not a trend (a minute is too short for one): far below what a leak under this load reaches
    expect(result.rssMax).toBeLessThan(400);
    expect(result.rssEnd).toBeLessThan(result.rssStart + 120);
  });
});
