import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {startKeyWorld, type KeyWorld} from '../helpers/key-world.js';
import {ensureBuilt} from '../helpers/pty.js';
import {splitKeys} from '../helpers/render-ui.js';
import {waitFor} from '../helpers/wait-for.js';

/**
 * Keys typed ahead or pasted must do exactly what they do typed slowly. Two dashboards over the same
 * still fleet get the same keys: one as a single write, the other one key per write, waiting for the
 * screen to settle after each. Their screens (text and looks: the cursor row is inverse) and their
 * state (jobs, firmware descriptions, over the HTTP API) must be the same, and the slow one must show
 * what the keys are meant to do, so two equally broken runs cannot pass.
 */
export interface BurstCase {
  readonly name: string;
  /** typed slowly into both dashboards first */
  readonly setup?: string;
  /** the keys under test */
  readonly keys: string;
  /** what the slowly typed keys must have done */
  readonly expect: (screen: string) => void;
  /** state beyond the screen, from the HTTP API */
  readonly state?: (world: KeyWorld) => Promise<unknown>;
  /** what that state must be after the slowly typed keys */
  readonly expectState?: (state: any) => void;
  readonly timeoutMs?: number;
  /** how long the slow typist waits for the screen to hold still after each key (default 30 ms) */
  readonly quietMs?: number;
}

const ESC = '\u001B';
const DOWN = '\u001B[B';

/** Back to the Devices list, top row, no filter, no marks, Firmware cursor on top (from any dialog). */
const RESET = `${ESC}${ESC}${ESC}2g1${ESC}Ug`;

/** The device row the cursor is on (drawn inverse). */
const selectedRow = (screen: string) => screen.split('\n').find(line => /«inverse[^»]*» *[^ ]/.test(line) && /\d+\.\d+\.\d+|5\.0/.test(line)) ?? '';

const jobs = async (world: KeyWorld) => (await world.api('/api/jobs')).jobs.map((j: any) => [j.deviceKey, j.firmware.name, j.firmware.version, j.rollout ?? null]);
const descriptions = async (world: KeyWorld) => (await world.api('/api/firmware')).firmware.map((f: any) => [f.file, f.description]);

// 200 characters, with every command key the dashboard has among them: all of it is filter text,
// and its end (where the cursor is) stays in sight
const PASTE = `${'relay q D u a 1 2 3 4 ? j k g G < > ! I U x c r p e f w y n /'.repeat(4).slice(0, 196)}zEND`;

export const CASES: readonly BurstCase[] = [
  {
    name: '1/fw:relay⏎ from the Firmware view filters the Devices view',
    setup: '2',
    keys: '1/fw:relay\r',
    expect: screen => expect(screen).toMatch(/filter "fw:relay": 5 shown/),
  },
  {
    name: '1jj from the Firmware view moves the cursor two rows',
    setup: '2',
    keys: '1jj',
    expect: screen => expect(selectedRow(screen)).toMatch(/cellar/),
  },
  {
    name: '2, 1, jjj',
    keys: '21jjj',
    expect: screen => expect(selectedRow(screen)).toMatch(/doorbell/),
  },
  {
    name: 'arrows and Esc in one write: / relay Esc ↓ ↓',
    keys: `/relay${ESC}${DOWN}${DOWN}`,
    expect: screen => {
      expect(screen).not.toMatch(/filter "/);
      expect(selectedRow(screen)).toMatch(/cellar/);
    },
  },
  {
    name: '/relay⏎ then u ⏎ opens the update of the filtered devices and picks the firmware',
    keys: '/relay\ru\r',
    expect: screen => expect(screen).toMatch(/flash relay-board-1\.2\.0 to 5 devices, 2 at a time\?/),
  },
  {
    name: '? jjjj scrolls the help',
    keys: '?jjjj',
    expect: screen => {
      expect(screen).toMatch(/Esc or \? closes/);
      expect(screen).not.toMatch(/Everywhere/);
    },
  },
  {
    name: '? jjjj Esc j: the help scrolls, closes, and j moves the list',
    keys: `?jjjj${ESC}j`,
    expect: screen => {
      expect(screen).not.toMatch(/Esc or \? closes/);
      expect(selectedRow(screen)).toMatch(/boiler/);
    },
  },
  {
    name: 'D n j: forget asked, declined, then the list moves',
    keys: 'Dnj',
    expect: screen => {
      expect(screen).not.toMatch(/Forget/);
      expect(screen).toMatch(/12 devices/);
      expect(selectedRow(screen)).toMatch(/boiler/);
    },
  },
  {
    name: 'a paste of 200 characters into the filter prompt is all text',
    setup: '/',
    keys: PASTE,
    expect: screen => expect(screen).toMatch(/^«[^»]*»\/«[^»]*»….* \/relay q D u azEND«inverse» /m),
    // text in a prompt: the typist only waits for each character to be drawn
    quietMs: 10,
    timeoutMs: 90_000,
  },
  {
    name: 'e, text, ⏎ in the Firmware view stores the description',
    setup: '2',
    keys: 'e ok: Dq2j\r',
    expect: screen => expect(screen).toMatch(/Description of cam-3\.0\.0\.bin saved/),
    state: descriptions,
    expectState: state => expect(state).toContainEqual(['cam-3.0.0.bin', 'Camera. ok: Dq2j']),
  },
  {
    name: 'u ⏎ y updates the device under the cursor through the confirmation',
    setup: 'jjjjj',
    keys: 'u\ry',
    expect: screen => expect(screen).toMatch(/j-1 +garden +fleet-sensor.*waiting/),
    state: jobs,
    expectState: state => expect(state).toEqual([['homie/garden', 'fleet-sensor', '2.0.0', null]]),
  },
  {
    name: 'q n (the quit question declined) then 1jj',
    setup: '3',
    keys: 'qn1jj',
    expect: screen => {
      expect(screen).not.toMatch(/Quit homie-ota\?/);
      expect(selectedRow(screen)).toMatch(/cellar/);
    },
    state: jobs,
  },
];

export function burstSuite(size: {cols: number; rows: number}): void {
  describe(`keys typed ahead or pasted, at ${size.cols}×${size.rows}, act as if typed slowly`, () => {
    let slow: KeyWorld;
    let burst: KeyWorld;
    beforeAll(async () => {
      ensureBuilt();
      [slow, burst] = await Promise.all([startKeyWorld(size), startKeyWorld(size)]);
    }, 60_000);
    afterAll(async () => {
      await Promise.all([slow?.close(), burst?.close()]);
    });
    const typeSlowly = async (world: KeyWorld, keys: string, quietMs?: number) => {
      for (const key of splitKeys(keys)) await world.type(key, quietMs);
    };

    /** the screens equal; under load a dashboard may still be catching up, so give it a moment */
    const same = async () => {
      await waitFor(() => burst.screen() === slow.screen(), 'the same screen', 5000, 20).catch(() => {});
      expect(burst.screen()).toBe(slow.screen());
    };

    for (const c of CASES) {
      it(c.name, async () => {
        await Promise.all([slow, burst].map(world => typeSlowly(world, RESET + (c.setup ?? ''))));
        await same();
        burst.app.press(c.keys);
        await typeSlowly(slow, c.keys, c.quietMs);
        await waitFor(() => {
          c.expect(slow.screen());
          return true;
        }, `the slowly typed keys to have done "${c.name}"`, 5000, 20).catch(() => c.expect(slow.screen()));
        await Promise.all([slow.settle(), burst.settle()]);
        await same();
        if (c.state) {
          const reference = await c.state(slow);
          c.expectState?.(reference);
          expect(await c.state(burst)).toEqual(reference);
        }
      }, c.timeoutMs ?? 30_000);
    }
  });
}
