import type {DashboardActions} from '../../../store/actions.js';
import type {FirmwareSlice} from '../../../store/firmware-slice.js';
import {policySettingsOf, type PoliciesSlice} from '../../../store/policies-slice.js';
import {printable} from '../../../engine/util/text.js';
import {formSettings, type ArmForm} from './arm-dialog.js';
import type {Flash, StatusLine} from './status-lines.js';

/** "auto relay: r-4 of 1.0.2 running · canary, 2 at a time, 02:00–05:00": one line per armed name. */
export function policyLines(policies: PoliciesSlice): StatusLine[] {
  return policies.armed.map(p => {
    const s = p.settings;
    const how = [s.canary ? 'canary' : 'no canary', `${s.concurrency} at a time`, `stop after ${s.maxFailures}`, s.window ? `${s.window.start}–${s.window.end}` : ''].filter(Boolean).join(', ');
    return {text: `${p.alert ? '✗' : '⟳'} auto ${printable(p.name)}: ${printable(p.status)} · ${how}`, tone: p.alert ? 'error' : 'accent'};
  });
}

/** WATCH: patterns that match nothing, and matched files that are not used (with why) or refused. */
export function watchLines(firmware: FirmwareSlice): StatusLine[] {
  const watch = firmware.watch;
  if (!watch) return [];
  const lines: StatusLine[] = watch.patterns.filter(p => p.matches === 0).map(p => ({text: `○ WATCH ${printable(p.pattern)} matches nothing (looked at every ${Math.round(watch.rescanMs / 1000)} s)`, tone: 'warn'}));
  const bad = watch.files.filter(f => f.state === 'not used' || f.state === 'refused');
  for (const file of bad.slice(0, 3)) lines.push({text: `✗ WATCH ${printable(file.path)}: ${printable(file.detail)}`, tone: file.state === 'refused' ? 'error' : 'warn'});
  if (bad.length > 3) lines.push({text: `… and ${bad.length - 3} more WATCH matches not used (GET /api/firmware lists them)`, tone: 'muted'});
  return lines;
}

/**
 * Saving the arm dialog: arm (or change) when ticked, disarm when unticked on an armed name. Resolves
 * to the refusal to show in the dialog (it stays open), or null once it closed.
 */
export function armChanges(actions: DashboardActions, policies: PoliciesSlice, back: () => void, say: (text: string, tone: Flash['tone']) => void) {
  return async (name: string, form: ArmForm): Promise<string | null> => {
    const wasArmed = policySettingsOf(policies, name).armed;
    if (!form.armed && !wasArmed) {
      back();
      return null;
    }
    try {
      const result = form.armed ? await actions.armPolicy(name, formSettings(form)) : await actions.disarmPolicy(name);
      if (!result.ok) return result.message;
      back();
      say(result.message, 'info');
      return null;
    } catch (error) {
      return `cannot save: ${(error as Error).message}`;
    }
  };
}
