import {useMemo, useRef, useState} from 'react';
import {Box, Text} from 'ink';
import type {DeviceRecord} from '../../../engine/inventory/inventory.js';
import {humanBytes, printable} from '../../../engine/util/text.js';
import {useActions, useSnapshot} from '../../context.js';
import type {DashboardActions, UpdateOutcome} from '../../../store/actions.js';
import {useKeyLayer} from '../../keyboard.js';
import {cannotReason, cannotReasons, firmwareChoices, summary, type FirmwareChoice} from './choices.js';
import {planUpdate} from '../../../engine/ota/plan.js';
import {loadRunning} from '../../../engine/util/load-phase.js';
import {toneColor, type Tone} from '../../theme.js';
import {fit, wrap} from '../../cells.js';

export interface UpdateDialogProps {
  readonly devices: readonly DeviceRecord[];
  /** what the devices are, in words: "3 marked devices", "relay-1", "12 devices matching fw:relay" */
  readonly scope: string;
  readonly height: number;
  readonly width: number;
  /** called with the outcome after confirming (jobs queued, or why not) */
  readonly onDone: (message: string, queued: boolean) => void;
  readonly onCancel: () => void;
}

/**
 * `u` in the Devices view: pick the firmware (compatible ones first, its description shown), confirm a
 * one-line summary, and the jobs are queued — as a rollout with a canary when there is more than one
 * device. Esc goes back a step. Enter on a firmware that cannot go says why; when none can, a box says
 * why for each instead of a list where nothing can be picked.
 *
 * The list is not ink-select-input (6.2.0): with input paced it passes the burst tests, but measured
 * in the dashboard it takes only ↑/↓/j/k, Enter and 1–9: PgUp/PgDn, g/G and Home/End (the keys of
 * every list here) did nothing, so "u G Enter" confirmed the first firmware instead of reaching the
 * last; k on the first row jumped to the last; and "2" picked the second firmware and opened the
 * confirmation.
 */
export function UpdateDialog({devices, scope, height, width, onDone, onCancel}: UpdateDialogProps) {
  const actions = useActions();
  const {firmware, settings, policies, devices: inventory} = useSnapshot();
  // while the inventory loads, what a device lacks may yet come: the engine plans again before sending
  const loading = loadRunning(inventory.discovery.phase);
  const pinnedHere = useMemo(() => {
    const pins = new Set(policies.pins);
    return devices.filter(d => pins.has(d.key)).map(d => d.id);
  }, [devices, policies.pins]);
  const choices = useMemo(() => firmwareChoices(devices, firmware.rows.map(r => r.record), loading), [devices, firmware.rows, loading]);
  // one confirmation asks once, however many times y is pressed while the answer comes
  const asked = useRef(false);
  const [index, setIndex] = useState(0);
  const [confirming, setConfirming] = useState<FirmwareChoice | null>(null);
  // Enter on a row that cannot go: why, until the cursor moves
  const [why, setWhy] = useState<string | null>(null);
  const nothingGoes = choices.length > 0 && choices.every(c => c.go === 0);
  const listBudget = Math.max(1, height - 8);
  const top = Math.max(0, Math.min(index - Math.floor(listBudget / 2), choices.length - listBudget));

  useKeyLayer({
    // a list to move in only while there is one to pick from
    scopes: confirming || nothingGoes || choices.length === 0 ? ['dialog'] : ['list', 'dialog'],
    modal: true,
    priority: 30,
    onKey: (command, input, key) => {
      if (confirming) {
        if (command === 'dialog.confirm' && !asked.current) {
          asked.current = true;
          startUpdate(actions, devices, confirming, scope, onDone);
        } else if (command === 'dialog.cancel') {
          setConfirming(null);
        }
        return true;
      }
      if (choices.length === 0 || nothingGoes) {
        // nothing to pick: the box says why; Enter or Esc closes it
        if (key.return || key.escape || input === 'q') onCancel();
        return true;
      }
      const moveTo = (i: number) => {
        setWhy(null);
        setIndex(Math.max(0, Math.min(choices.length - 1, i)));
      };
      if (command === 'nav.down') moveTo(index + 1);
      else if (command === 'nav.up') moveTo(index - 1);
      else if (command === 'nav.pageDown') moveTo(index + listBudget);
      else if (command === 'nav.pageUp') moveTo(index - listBudget);
      else if (command === 'nav.top') moveTo(0);
      else if (command === 'nav.bottom') moveTo(choices.length - 1);
      else if (key.return && choices[index]) {
        const choice = choices[index]!;
        if (choice.go > 0) setConfirming(choice);
        else setWhy(`${choice.firmware.file} cannot go to ${printable(scope)}: ${cannotReason(choice)}. Pick another, or Esc.`);
      } else if (key.escape || input === 'q') onCancel();
      return true;
    },
  });

  if (choices.length === 0 || nothingGoes) return <NothingToPick choices={choices} scope={scope} root={settings.firmwareRoot} height={height} width={width} />;
  if (confirming) return <ConfirmBox lines={confirmLines(confirming, devices, settings.concurrency, pinnedHere, loading)} width={width} />;
  const current = choices[index];
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={toneColor('accent')} paddingX={1} width={width}>
      <Text bold wrap="truncate-end">Update {printable(scope)}: pick the firmware (Enter), Esc cancels</Text>
      {choices.slice(top, top + listBudget).map((c, i) => (
        <Text key={c.firmware.file} wrap="truncate-end" inverse={top + i === index} color={c.go === 0 ? toneColor('muted') : undefined}>{choiceLine(c)}</Text>
      ))}
      {why
        ? <Text color={toneColor('warn')}>{why}</Text>
        : <Text wrap="truncate-end" color={toneColor('muted')}>{current?.firmware.description ? printable(current.firmware.description) : 'no description'}</Text>}
    </Box>
  );
}

/** One firmware of the list: ↑ for an upgrade, name, version, chip, size, and how many it updates or why none. */
function choiceLine(c: FirmwareChoice): string {
  const tag = c.go === 0 ? `can't: ${c.refusal ?? 'already up to date'}` : `${c.go} to update${c.skip ? `, ${c.skip} up to date` : ''}${c.refuse ? `, ${c.refuse} refused` : ''}`;
  return `${c.upgrade && c.go > 0 ? '↑' : ' '} ${fit(printable(c.firmware.name), 20)} ${fit(printable(c.firmware.version), 12)} ${fit(c.firmware.chip, 8)} ${fit(humanBytes(c.firmware.size), 9, 'right')}  ${tag}`;
}

/** y: queue the jobs (a rollout with a canary for more than one device) and say what was done. */
function startUpdate(actions: DashboardActions, devices: readonly DeviceRecord[], choice: FirmwareChoice, scope: string, onDone: UpdateDialogProps['onDone']): void {
  const {name, version} = choice.firmware;
  void actions.createUpdate({
    deviceKeys: devices.map(d => d.key),
    firmware: {name, version},
    ...(devices.length > 1 ? {rollout: {scope, canary: true, maxFailures: 1}} : {}),
  }).then(
    result => onDone(createdMessage(result, name, version), result.jobs.length > 0),
    (error: unknown) => onDone(`no update was queued: ${(error as Error).message}`, false),
  );
}

/** When nothing can be picked: the store is empty, or why each file cannot go. Enter or Esc closes. */
function NothingToPick({choices, scope, root, height, width}: {readonly choices: readonly FirmwareChoice[]; readonly scope: string; readonly root: string; readonly height: number; readonly width: number}) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={toneColor('warn')} paddingX={1} width={width}>
      {choices.length === 0 ? (
        <>
          <Text bold>Update {printable(scope)}</Text>
          <Text>The firmware store is empty: drop a .bin into {root} or upload one (see the Firmware view).</Text>
        </>
      ) : (
        <>
          <Text bold>Nothing in the firmware store can update {printable(scope)}:</Text>
          {cannotReasons(choices).slice(0, Math.max(1, height - 4)).map(({reason, files}) => (
            <Text key={reason}>• {printable(reason)} <Text color={toneColor('muted')}>({files.map(f => printable(f)).join(', ')})</Text></Text>
          ))}
        </>
      )}
      <Text color={toneColor('muted')}>Enter or Esc closes</Text>
    </Box>
  );
}

interface ConfirmLine {
  readonly text: string;
  readonly tone?: Tone;
  readonly bold?: boolean;
}

/** The confirmation: the summary, the canary, what offline devices do, warnings, skipped and refused devices. */
function confirmLines(c: FirmwareChoice, devices: readonly DeviceRecord[], concurrency: number, pinned: readonly string[] = [], loading = false): ConfirmLine[] {
  // the job the queue makes first is the canary: the first device (in the list's order) that can go
  const canary = devices.length > 1 ? devices.find(d => planUpdate(d, c.firmware, {allowNameChange: false, loading}).kind === 'go') : undefined;
  const lines: ConfirmLine[] = [{text: `${summary(c, concurrency)}?`, bold: true}];
  if (devices.length > 1 && c.go > 1) lines.push({text: `${printable(canary?.id ?? '')} goes first; the rest follow once it is back on ${printable(c.firmware.version)}; stops after 1 failure.`});
  lines.push({text: 'Devices that are offline or asleep get it when they next report ready.', tone: 'muted'});
  for (const w of c.warnings) lines.push({text: `⚠ ${printable(w)}`, tone: 'warn', bold: true});
  if (pinned.length > 0) {
    const names = `${pinned.slice(0, 3).map(id => printable(id)).join(', ')}${pinned.length > 3 ? ` and ${pinned.length - 3} more` : ''}`;
    lines.push({text: `⚠ pinned: ${names} ${pinned.length === 1 ? 'is' : 'are'} pinned (kept out of automatic rollouts); this update includes ${pinned.length === 1 ? 'it' : 'them'}`, tone: 'warn', bold: true});
  }
  if (c.skip > 0) lines.push({text: `${c.skip} already up to date (skipped)`, tone: 'muted'});
  if (c.refuse > 0) lines.push({text: `${c.refuse} refused: ${printable(c.refusal ?? '')}`, tone: 'warn'});
  return lines;
}

/** Every line of the confirmation is read before y: wrapped, never cut. */
function ConfirmBox({lines, width}: {readonly lines: readonly ConfirmLine[]; readonly width: number}) {
  const room = Math.max(10, width - 4);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={toneColor('warn')} paddingX={1} width={width}>
      {lines.flatMap((line, i) => wrap(line.text, room, '  ').map((text, j) => (
        <Text key={`${i}-${j}`} bold={line.bold} color={toneColor(line.tone)}>{text}</Text>
      )))}
      <Text wrap="truncate-end"><Text bold color={toneColor('warn')}>y</Text>/Enter start   <Text bold>n</Text>/Esc back</Text>
    </Box>
  );
}

/** "queued 3 job(s) for relay 1.1.0; 1 already up to date; 1 refused: …", or why nothing was done. */
function createdMessage(result: UpdateOutcome, name: string, version: string): string {
  const parts = [`queued ${result.jobs.length} job(s) for ${name} ${version}`];
  if (result.skipped.length) parts.push(`${result.skipped.length} already up to date`);
  if (result.refused.length) parts.push(`${result.refused.length} refused: ${result.refused[0]!.reason}`);
  return result.error ?? parts.join('; ');
}
