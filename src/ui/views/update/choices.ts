import type {DeviceRecord} from '../../../engine/inventory/inventory.js';
import type {FirmwareRecord} from '../../../engine/firmware/store.js';
import {planUpdate} from '../../../engine/ota/plan.js';
import {compareVersions} from '../../../engine/util/version.js';

export interface FirmwareChoice {
  readonly firmware: FirmwareRecord;
  /** devices this firmware would be sent to */
  readonly go: number;
  readonly skip: number;
  readonly refuse: number;
  /** the first refusal, to show why */
  readonly refusal?: string;
  /** same firmware name as (most of) the chosen devices, and newer */
  readonly upgrade: boolean;
  /** what the confirmation must point out ("changes the firmware from relay to light") */
  readonly warnings: readonly string[];
}

/**
 * The firmware list of the update dialog: the devices' own firmware first (upgrades, then what cannot
 * go such as the version they run, then older builds), then other names, newest versions first.
 * Neither another name nor an older build is the first row while the devices' own firmware is in the
 * store, so u, Enter, y on a device that is up to date starts nothing it did not ask for.
 */
export function firmwareChoices(devices: readonly DeviceRecord[], firmware: readonly FirmwareRecord[], loading = false): FirmwareChoice[] {
  const names = new Map<string, number>();
  for (const d of devices) if (d.fw.name) names.set(d.fw.name, (names.get(d.fw.name) ?? 0) + 1);
  const choices = firmware.map(f => {
    let go = 0;
    let skip = 0;
    let refuse = 0;
    let refusal: string | undefined;
    const warnings = new Set<string>();
    for (const d of devices) {
      const plan = planUpdate(d, f, {allowNameChange: devices.length === 1, loading});
      if (plan.kind === 'go') {
        go++;
        for (const w of plan.warnings) warnings.add(w);
      } else if (plan.kind === 'skip') {
        skip++;
      } else {
        refuse++;
        refusal ??= plan.reason;
      }
    }
    const upgrade = devices.some(d => d.fw.name === f.name && (d.fw.version === undefined || compareVersions(f.version, d.fw.version) > 0));
    return {firmware: f, go, skip, refuse, refusal, upgrade, warnings: [...warnings]};
  });
  // the devices' own firmware: upgrades, then what cannot go (up to date), then older builds; then other names
  const rank = (c: FirmwareChoice): number => {
    if (!names.has(c.firmware.name)) return c.go > 0 ? 3 : 4;
    if (c.go === 0) return 1;
    return c.upgrade ? 0 : 2;
  };
  return choices.sort((a, b) =>
    rank(a) - rank(b) ||
    (names.get(b.firmware.name) ?? 0) - (names.get(a.firmware.name) ?? 0) ||
    b.go - a.go ||
    a.firmware.name.localeCompare(b.firmware.name) ||
    compareVersions(b.firmware.version, a.firmware.version));
}

/** "flash relay-1.2.0 to 12 devices, 2 at a time" */
export function summary(choice: FirmwareChoice, concurrency: number): string {
  const n = choice.go;
  return `flash ${choice.firmware.name}-${choice.firmware.version} to ${n} device${n === 1 ? '' : 's'}${n > 1 ? `, ${Math.min(concurrency, n)} at a time` : ''}`;
}

/** Why a firmware that can go to none of the devices cannot ("already runs …", "… is an esp32 image …"). */
export function cannotReason(choice: FirmwareChoice): string {
  if (choice.refuse === 0) return choice.skip === 1 ? 'already up to date' : `all ${choice.skip} already up to date`;
  if (choice.skip === 0) return choice.refusal ?? 'refused';
  return `${choice.skip} already up to date, ${choice.refuse} refused: ${choice.refusal ?? ''}`;
}

/** The reasons when no firmware can go anywhere, each with the files it applies to. */
export function cannotReasons(choices: readonly FirmwareChoice[]): Array<{reason: string; files: string[]}> {
  const byReason = new Map<string, string[]>();
  for (const c of choices) {
    const reason = cannotReason(c);
    byReason.set(reason, [...(byReason.get(reason) ?? []), c.firmware.file]);
  }
  return [...byReason].map(([reason, files]) => ({reason, files}));
}
