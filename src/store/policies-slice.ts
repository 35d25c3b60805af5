import type {PolicySettings} from '../engine/policy/policy-file.js';
import type {PolicyView} from '../engine/policy/policy-service.js';

/** Automatic rollouts and pins, as the Firmware view, the Devices view and the header show them. */
export interface PoliciesSlice {
  /** the armed firmware names, by name */
  readonly armed: readonly PolicyView[];
  /** keys of the pinned devices (also of devices not in the inventory now) */
  readonly pins: readonly string[];
  /** what `a` offers for a name that is not armed */
  readonly defaults: PolicySettings;
}

/** What the slice reads from the engine. */
export interface PoliciesSource {
  readonly policies: {
    armed(): readonly PolicyView[];
    pins(): ReadonlyArray<{readonly key: string}>;
    settingsFor(name: string): PolicySettings;
  };
}

const NO_NAME = '\u0000';

/** The slice; the previous one when nothing in it changed (the views then do not redraw for it). */
export function buildPoliciesSlice(engine: PoliciesSource, previous: PoliciesSlice | undefined): PoliciesSlice {
  const slice: PoliciesSlice = {
    armed: engine.policies.armed(),
    pins: engine.policies.pins().map(p => p.key),
    defaults: engine.policies.settingsFor(NO_NAME),
  };
  return previous && JSON.stringify(previous) === JSON.stringify(slice) ? previous : slice;
}

/** The settings `a` shows for a firmware name: its own when armed, else the defaults. */
export function policySettingsOf(slice: PoliciesSlice, name: string): {armed: boolean; settings: PolicySettings} {
  const armed = slice.armed.find(p => p.name === name);
  return armed ? {armed: true, settings: armed.settings} : {armed: false, settings: slice.defaults};
}
