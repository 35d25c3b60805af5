import {useState} from 'react';
import {Box, Text} from 'ink';
import {useKeyLayer} from '../../keyboard.js';
import {toneColor} from '../../theme.js';

/**
 * A one-line editor for a firmware description, as a modal key layer: letters typed here never reach
 * the view's commands (D would otherwise ask to delete). Enter saves, Esc cancels, ←/→, Home/End,
 * Ctrl+A/Ctrl+E move, Backspace deletes, Ctrl+U clears.
 *
 * Not ink-text-input (6.0.0): with input paced it keeps up with keys typed ahead, but measured at 80
 * columns it shows a long description from its start, with the cursor and the end off screen; it has
 * no Home/End; and it types the letter of a Ctrl+key as text: Home X Ctrl+A Y Ctrl+E Z Enter on
 * "Camera. … END" stored "Camera. … ENDXaYeZ", where this editor stores "YXCamera. … ENDZ".
 */
export interface LineState {
  readonly value: string;
  readonly cursor: number;
}

const MAX = 1000;

/** One key applied to the line; null for keys the editor does not use. Pure, for tests. */
export function editLine(state: LineState, input: string, key: {leftArrow?: boolean; rightArrow?: boolean; backspace?: boolean; delete?: boolean; home?: boolean; end?: boolean; ctrl?: boolean; meta?: boolean}): LineState | null {
  const {value, cursor} = state;
  if (key.leftArrow) return {value, cursor: Math.max(0, cursor - 1)};
  if (key.rightArrow) return {value, cursor: Math.min(value.length, cursor + 1)};
  if (key.home || (key.ctrl && input === 'a')) return {value, cursor: 0};
  if (key.end || (key.ctrl && input === 'e')) return {value, cursor: value.length};
  if (key.ctrl && input === 'u') return {value: '', cursor: 0};
  // terminals send DEL (0x7f) for Backspace, which Ink reports as delete: both remove the character before the cursor
  if (key.backspace || key.delete) return cursor === 0 ? state : {value: value.slice(0, cursor - 1) + value.slice(cursor), cursor: cursor - 1};
  if (key.ctrl || key.meta || input === '') return null;
  const text = input.replace(/[\r\n\t]/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  if (!text) return null;
  const next = (value.slice(0, cursor) + text + value.slice(cursor)).slice(0, MAX);
  return {value: next, cursor: Math.min(next.length, cursor + text.length)};
}

export function DescriptionPrompt({label, initial, width, onSave, onCancel}: {
  readonly label: string;
  readonly initial: string;
  readonly width: number;
  readonly onSave: (text: string) => void;
  readonly onCancel: () => void;
}) {
  const [line, setLine] = useState<LineState>({value: initial, cursor: initial.length});
  useKeyLayer({
    scopes: ['dialog'],
    modal: true,
    priority: 30,
    text: true,
    onKey: (_command, input, key) => {
      if (key.escape) onCancel();
      else if (key.return) onSave(line.value);
      else {
        const next = editLine(line, input, key);
        if (next) setLine(next);
      }
      return true;
    },
  });
  const {value, cursor} = line;
  // keep the cursor in sight: show a window of the text around it
  const room = Math.max(10, width - 8);
  const start = Math.max(0, Math.min(cursor - Math.floor(room * 0.7), value.length - room + 1));
  const shown = value.slice(start, start + room);
  const at = cursor - start;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={toneColor('accent')} paddingX={1}>
      <Text wrap="truncate-end" bold>{label}</Text>
      <Text wrap="truncate-end">
        <Text color={toneColor('accent')}>› </Text>{start > 0 ? '…' : ''}{shown.slice(0, at)}<Text inverse>{shown[at] ?? ' '}</Text>{shown.slice(at + 1)}
      </Text>
      <Text wrap="truncate-end" color={toneColor('muted')}>Enter saves (empty removes it) · Esc cancels</Text>
    </Box>
  );
}
