import type {Job} from '../../src/engine/ota/job.js';
import {afterEach, describe, expect, it} from 'vitest';
import {finished, otaWorld, type OtaWorld} from '../ota/helpers.js';
import {keys, renderDashboard, type RenderedDashboard} from '../helpers/render-ui.js';
import {waitFor} from '../helpers/wait-for.js';

let world: OtaWorld | null = null;
let ui: RenderedDashboard | null = null;
afterEach(async () => {
  ui?.unmount();
  ui = null;
  await world?.close();
  world = null;
});

const relay = {name: 'relay', version: '1.0.0'};
const target = {name: 'relay', version: '1.1.0'};

/** The lines of the frame that hold `text`. */
const linesWith = (frame: string, text: string | RegExp) => frame.split('\n').filter(l => (typeof text === 'string' ? l.includes(text) : text.test(l)));
/** The frame with its line breaks undone (wrapped messages read as one line). */
const flat = (frame: string) => frame.replace(/\n/g, ' ');

describe('Queue view', () => {
  it('shows totals, states, progress and reasons; Enter opens the timeline; r retries; c cancels', async () => {
    world = await otaWorld({
      specs: [
        {id: 'q-ok', generation: 'v3', fw: relay},
        {id: 'q-bad', generation: 'v3', fw: relay, faults: {flashErrorAt: 30}},
        {id: 'q-away', generation: 'v3', fw: relay},
      ],
    });
    const {engine, fleet} = world;
    await fleet.device('q-away')!.goOffline({will: true});
    await waitFor(() => engine.inventory.get('homie/q-away')?.state === 'lost', 'q-away lost');
    const created = engine.ota.create({deviceKeys: ['homie/q-ok', 'homie/q-bad', 'homie/q-away'], firmware: target, rollout: undefined});
    const [ok, bad] = (await Promise.all(created.jobs.slice(0, 2).map(j => finished(engine, j.id)))) as [Job, Job];
    ui = await renderDashboard(engine, {initialView: 'queue', columns: 100, rows: 30});
    // the only open job waits for a lost device: nothing predicts when it ends, so no ETA
    const frame = await ui.waitForText('3 jobs: 1 done · 1 failed · 1 waiting · 2 at a time');
    expect(frame).not.toMatch(/ETA \d|<1s/);
    expect(frame).toContain(' 3 Queue 1 ');
    expect(frame).toMatch(/✓ j-\d+ +q-ok +relay 1\.1\.0 +done +█+ 100%/);
    expect(frame).toMatch(/✗ j-\d+ +q-bad +relay 1\.1\.0 +failed .*writing the flash/);
    expect(frame).toMatch(/◷ j-\d+ +q-away .*waiting .*the device is lost/);
    expect(ok.state).toBe('done');
    expect(bad.state).toBe('failed');

    // the open job is listed first; move to the failed one and open its timeline
    const order = frame.split('\n').filter(l => /j-\d+/.test(l)).map(l => /(q-\w+)/.exec(l)![1]);
    await ui.press(...Array(order.indexOf('q-bad')).fill('j'));
    await ui.press(keys.enter);
    const timeline = await ui.waitForText('Timeline');
    expect(timeline).toMatch(/relay 1\.0\.0 → relay 1\.1\.0/);
    expect(timeline).toMatch(/flashing +the device accepted the image \(202\)/);
    expect(timeline).toMatch(/failed +writing the flash failed on the device \(500 FLASH_ERROR\)/);
    await ui.press(keys.escape);
    await ui.press('r');
    const retried = await ui.waitForText(/retrying as j-\d+/);
    expect(retried).toMatch(/✗ j-\d+ +q-bad .*retried as j-\d+/);

    // cancel the waiting job after confirming
    await ui.press('g');
    await ui.press('c');
    await ui.waitForText(/Cancel j-\d+: q-away → relay 1\.1\.0\?/);
    // y until it is taken: on a loaded machine the dialog may draw before its keys listen (y means nothing to the list)
    await waitFor(async () => {
      await ui!.press('y');
      return /cancelled j-\d+/.test(ui!.frame());
    }, 'the cancellation');
    expect(engine.ota.list().find(j => j.deviceId === 'q-away')!.state).toBe('cancelled');
  });

  it('every key answers at once: c, r and p say why not; "active" is what holds a transfer slot; x hides and shows finished jobs', async () => {
    world = await otaWorld({
      specs: [{id: 'v-esp32', generation: 'v3', chip: 'esp32', fw: relay}, {id: 'v-done', generation: 'v3', fw: {name: 'plain', version: '1.0.0'}}],
      firmware: [['relay-1.1.0.bin', {name: 'relay', version: '1.1.0', chip: 'esp32', size: 100_000}], ['plain-1.1.0.bin', {name: 'plain', version: '1.1.0', size: 100_000}]],
      // the ESP32 stays in verifying until its rollback re-check
      timings: {esp32Recheck: 120_000},
    });
    const {engine} = world;
    const other = engine.ota.create({deviceKeys: ['homie/v-done'], firmware: {name: 'plain', version: '1.1.0'}}).jobs[0]!;
    await finished(engine, other.id);
    const verifying = engine.ota.create({deviceKeys: ['homie/v-esp32'], firmware: target}).jobs[0]!;
    await waitFor(() => engine.ota.get(verifying.id)?.state === 'verifying', 'the job to be verifying', 10_000);
    ui = await renderDashboard(engine, {initialView: 'queue', columns: 100, rows: 30});
    // a verifying job holds no transfer slot: it is not "active"
    const frame = await ui.waitForText(/2 jobs: 1 done · 1 verifying · ETA 1m \d+s · 2 at a time/);
    expect(frame).not.toMatch(/active/);
    expect(frame).toContain(' 3 Queue 1 ');

    // c on a verifying job: at once, why not; no question first
    await ui.press('c');
    let now = flat(ui.frame());
    expect(now).toContain(`${verifying.id} is verifying: the device already has the firmware, which cannot be taken back; it will be verified`);
    expect(now).not.toMatch(/Cancel j-/);
    await ui.press('r');
    expect(flat(ui.frame())).toContain(`${verifying.id} is verifying: only a failed or cancelled job can be retried (this one is still open)`);
    await ui.press('p');
    expect(ui.frame()).toContain(`${verifying.id} is not part of a rollout: p pauses and resumes rollouts`);
    await ui.press('d');
    expect(ui.frame()).toContain(`${verifying.id} is not part of a rollout: d dismisses a rollout that has ended`);

    // x hides the finished job, and x shows it again
    await ui.press('x');
    now = await ui.waitForText('(1 finished hidden: x shows them)');
    expect(linesWith(now, other.id)).toEqual([]);
    expect(now).toContain('1 finished job(s) hidden; x shows them again');
    await ui.press('x');
    now = await ui.waitForText('showing 1 finished job(s) again');
    expect(linesWith(now, new RegExp(`✓ ${other.id} +v-done`))).toHaveLength(1);
    expect(now).not.toContain('finished hidden');
  });

  it('a rollout that stopped stays listed with its counts and reason; Enter shows it whole; d dismisses it', async () => {
    world = await otaWorld({
      specs: [
        {id: 'r-canary', generation: 'v3', fw: relay, faults: {flashErrorAt: 10}},
        {id: 'r-two', generation: 'v3', fw: relay},
        {id: 'r-three', generation: 'v3', fw: relay},
      ],
    });
    const {engine} = world;
    const created = engine.ota.create({deviceKeys: ['homie/r-canary', 'homie/r-two', 'homie/r-three'], firmware: target, rollout: {scope: 'devices running relay', canary: true, maxFailures: 1}});
    const id = created.rollout!.id;
    await waitFor(() => engine.ota.rollout(id)?.state === 'stopped', 'the rollout to stop', 10_000);
    ui = await renderDashboard(engine, {initialView: 'queue', columns: 80, rows: 24});
    const frame = await ui.waitForText(`✗ ${id}`);
    // the line is cut at 80 columns, but the counts come first
    expect(linesWith(frame, `✗ ${id}`)[0]).toMatch(new RegExp(`${id} +stopped: relay 1\\.1\\.0 · 3 devices: 2 cancelled · 1 failed · the canary`));
    expect(frame).toMatch(/^3 jobs: 1 failed · 2 cancelled · 2 at a time/m);

    // the rollout is the first line: Enter shows it whole, wrapped
    await ui.press(keys.enter);
    const detail = await ui.waitForText('Stopped because');
    const text = detail.replace(/\n\s*/g, ' ');
    expect(text).toContain('Stopped because: the canary r-canary failed: writing the flash failed on the device (500 FLASH_ERROR)');
    expect(text).toContain('Outcome: 3 devices: 2 cancelled · 1 failed');
    expect(detail.split('\n').every(line => line.length <= 80)).toBe(true);
    await ui.press(keys.escape);

    await ui.press('c');
    expect(ui.frame()).toContain(`rollout ${id} is stopped: nothing left to cancel (d dismisses it)`);
    await ui.press('p');
    expect(ui.frame()).toContain(`rollout ${id} has stopped: nothing to pause`);
    await ui.press('d');
    const after = await ui.waitForText(`rollout ${id} dismissed; its jobs stay in the list`);
    expect(linesWith(after, `✗ ${id}`)).toEqual([]);
    expect(engine.ota.rollouts()).toEqual([]);
  });

  it('the timeline shows every note whole, wrapped, and scrolls when it is longer than the screen', async () => {
    world = await otaWorld({
      specs: [{id: 'w-canary', generation: 'v3', fw: relay, faults: {flashErrorAt: 10}}, {id: 'w-two', generation: 'v3', fw: relay}],
    });
    const {engine} = world;
    const created = engine.ota.create({deviceKeys: ['homie/w-canary', 'homie/w-two'], firmware: target, rollout: {scope: 'test', canary: true, maxFailures: 1}});
    const cancelled = created.jobs[1]!;
    await finished(engine, cancelled.id);
    const note = engine.ota.get(cancelled.id)!.timeline.at(-1)!.note!;
    expect(note.length).toBeGreaterThan(80);
    ui = await renderDashboard(engine, {initialView: 'queue', columns: 80, rows: 14});
    await ui.waitForText(cancelled.id);
    // the list: the rollout, then the two jobs (finished, newest first)
    const order = ui.frame().split('\n').filter(l => /^. (r|j)-\d+/.test(l)).map(l => /(r|j)-\d+/.exec(l)![0]);
    await ui.press(...Array(order.indexOf(cancelled.id)).fill('j'), keys.enter);
    const first = await ui.waitForText('more line');
    expect(first).toMatch(/↓ \d+ more lines? \(j\/k, PgDn\)/);
    // G until the view has it (a key pressed before the text's keys are listening is not its own)
    const end = await waitFor(async () => {
      await ui!.press('G');
      const frame = ui!.frame();
      return frame.replace(/\n {20}/g, ' ').includes(`cancelled  ${note}`) ? frame : '';
    }, 'the last timeline entry, whole');
    expect(end.split('\n').every(line => line.length <= 80)).toBe(true);
    await ui.press(keys.escape);
    await ui.waitForText('JOB');
  });
});

describe('quitting with open updates', () => {
  /** A job waiting for a lost device, the Queue on screen, and q pressed: the question is up. */
  async function askToQuit(config: {demo?: boolean} = {}): Promise<string> {
    world = await otaWorld({specs: [{id: 'far', generation: 'v3', fw: relay}], config});
    const {engine, fleet} = world;
    await fleet.device('far')!.goOffline({will: true});
    await waitFor(() => engine.inventory.get('homie/far')?.state === 'lost', 'offline');
    engine.ota.create({deviceKeys: ['homie/far'], firmware: target});
    ui = await renderDashboard(engine, {initialView: 'queue'});
    await ui.waitForText('1 waiting');
    await ui.press('q');
    return flat(await ui.waitForText('1 update is open. Quit homie-ota?'));
  }

  it('q asks first while updates are open; n stays, y quits', async () => {
    expect(await askToQuit()).toContain('Waiting updates resume when homie-ota starts again');
    let quit = false;
    void ui!.exited.then(() => (quit = true));
    // each answer is pressed until it is taken: on a loaded machine a dialog may draw before its keys listen
    await waitFor(async () => {
      await ui!.press('n');
      return !ui!.frame().includes('Quit homie-ota?');
    }, 'the question gone');
    expect(quit).toBe(false);
    await ui!.press('q');
    await ui!.waitForText('Quit homie-ota?');
    await waitFor(async () => {
      if (!quit) await ui!.press('y');
      return quit;
    }, 'homie-ota to quit');
  });

  it('in the demo, says what is true there: the folder goes, nothing resumes', async () => {
    const question = await askToQuit({demo: true});
    expect(question).toContain('The demo ends here: its devices stop and its folder is deleted; nothing resumes.');
    expect(question).not.toContain('resume when homie-ota starts again');
  });
});
