import {useState} from 'react';
import {Box, Text} from 'ink';
import type {PolicySettings} from '../../../engine/policy/policy-file.js';
import type {PolicySettingsInput} from '../../../store/actions.js';
import {useKeyLayer} from '../../keyboard.js';
import {toneColor} from '../../theme.js';
import {editLine, type LineState} from './description-prompt.js';

/** What the dialog edits: armed or not, and the rollout settings (the window as typed). */
export interface ArmForm {
  readonly armed: boolean;
  readonly canary: boolean;
  readonly concurrency: number;
  readonly maxFailures: number;
  readonly outdatedOnly: boolean;
  readonly onlineOnly: boolean;
  readonly window: LineState;
}

type Field = keyof ArmForm;
const FIELDS: ReadonlyArray<{readonly field: Field; readonly label: string}> = [
  {field: 'armed', label: 'Roll out new versions automatically'},
  {field: 'canary', label: 'Canary first (the rest after it is verified)'},
  {field: 'concurrency', label: 'Devices at a time'},
  {field: 'maxFailures', label: 'Stop after failures'},
  {field: 'outdatedOnly', label: 'Only devices on an older version'},
  {field: 'onlineOnly', label: 'Only devices online now'},
  {field: 'window', label: 'Window, local time (empty: any time)'},
];

/** Border (2), title, the fields, the message line, the hint line. */
export const ARM_DIALOG_LINES = FIELDS.length + 5;

/** The form `a` opens with: ticked (`a` is pressed to arm; untick it to disarm), the name's settings. */
export function armForm(settings: PolicySettings): ArmForm {
  const window = settings.window ? `${settings.window.start}-${settings.window.end}` : '';
  return {
    armed: true,
    canary: settings.canary,
    concurrency: settings.concurrency,
    maxFailures: settings.maxFailures,
    outdatedOnly: settings.outdatedOnly,
    onlineOnly: settings.onlineOnly,
    window: {value: window, cursor: window.length},
  };
}

/** The settings as DashboardActions.armPolicy takes them (the engine checks the window and says what is wrong). */
export function formSettings(form: ArmForm): PolicySettingsInput {
  return {
    canary: form.canary, concurrency: form.concurrency, maxFailures: form.maxFailures,
    outdatedOnly: form.outdatedOnly, onlineOnly: form.onlineOnly, window: form.window.value.trim() || null,
  };
}

/** One key applied to the form at field `at` (pure, for tests); null for keys the field does not use. */
export function editForm(form: ArmForm, at: number, input: string, key: {leftArrow?: boolean; rightArrow?: boolean; backspace?: boolean; delete?: boolean; home?: boolean; end?: boolean; ctrl?: boolean; meta?: boolean}): ArmForm | null {
  const field = FIELDS[at]!.field;
  if (field === 'window') {
    const next = editLine(form.window, input, key);
    return next ? {...form, window: {value: next.value.slice(0, 16), cursor: Math.min(next.cursor, 16)}} : null;
  }
  if (field === 'concurrency' || field === 'maxFailures') {
    const max = field === 'concurrency' ? 64 : 100;
    const by = key.rightArrow || input === '+' ? 1 : key.leftArrow || input === '-' ? -1 : 0;
    if (by !== 0) return {...form, [field]: Math.max(1, Math.min(max, form[field] + by))};
    if (/^\d$/.test(input)) return {...form, [field]: Math.max(1, Math.min(max, Number(`${form[field]}${input}`.slice(-2))))};
    if (key.backspace || key.delete) return {...form, [field]: Math.max(1, Math.floor(form[field] / 10))};
    return null;
  }
  if (input === ' ' || key.leftArrow || key.rightArrow) return {...form, [field]: !form[field]};
  return null;
}

/**
 * `a` in the Firmware view: arm a firmware name for automatic rollouts and set how they run, in a
 * modal box that fits 80×24. ↑/↓ (or Tab) choose a line, Space or ←/→ toggle, ←/→ (or digits, + and
 * -) change a number, the window is typed (02:00-05:00); Enter saves, Esc cancels. A refusal (a
 * window that is not one) is shown in the box, which stays open.
 */
export function ArmDialog({name, initial, width, onSave, onCancel}: {
  readonly name: string;
  readonly initial: ArmForm;
  readonly width: number;
  readonly onSave: (form: ArmForm) => Promise<string | null>;
  readonly onCancel: () => void;
}) {
  const [form, setForm] = useState(initial);
  const [at, setAt] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useKeyLayer({
    scopes: ['dialog'],
    modal: true,
    priority: 30,
    text: true,
    onKey: (_command, input, key) => {
      if (key.escape) onCancel();
      else if (key.return) void onSave(form).then(setError);
      else if (key.upArrow || (key.shift && key.tab)) setAt(i => (i + FIELDS.length - 1) % FIELDS.length);
      else if (key.downArrow || key.tab) setAt(i => (i + 1) % FIELDS.length);
      else {
        const next = editForm(form, at, input, key);
        if (next) setForm(next);
      }
      return true;
    },
  });
  const room = Math.max(20, width - 4);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={toneColor('accent')} paddingX={1} width={Math.min(width, 78)}>
      <Text wrap="truncate-end" bold>Automatic rollout of {name}</Text>
      {FIELDS.map(({field, label}, i) => (
        <Text key={field} wrap="truncate-end" inverse={i === at} color={i > 0 && !form.armed ? toneColor('muted') : undefined}>
          {`${i === at ? '›' : ' '} ${label.padEnd(44).slice(0, Math.max(10, room - 20))} ${valueText(form, field, i === at)}`}
        </Text>
      ))}
      <Text wrap="truncate-end" color={toneColor(error ? 'error' : 'muted')}>{error ?? (form.armed ? 'a newer version filed (drop, upload, WATCH) rolls out to every device running it, pinned ones left out' : 'not armed: new versions wait for u')}</Text>
      <Text wrap="truncate-end" color={toneColor('muted')}>↑↓ line · Space/←→ change · Enter saves · Esc cancels</Text>
    </Box>
  );
}

function valueText(form: ArmForm, field: Field, current: boolean): string {
  const value = form[field];
  if (typeof value === 'boolean') return value ? '[x]' : '[ ]';
  if (typeof value === 'number') return current ? `‹ ${value} ›` : String(value);
  const {value: text, cursor} = value as LineState;
  if (!current) return text || 'any time';
  return `${text.slice(0, cursor)}▏${text.slice(cursor)}`;
}
