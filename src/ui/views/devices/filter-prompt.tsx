import {Text} from 'ink';
import {printable} from '../../../engine/util/text.js';
import {useKeyLayer} from '../../keyboard.js';
import {toneColor} from '../../theme.js';

/**
 * The `/` filter line. It filters as you type; Enter keeps the filter, Esc puts back the one from
 * before, Ctrl+U clears the line. Modal: while it is open, keys are text, not commands. A filter
 * longer than the line shows its end, where the typing is.
 *
 * Not ink-text-input (6.0.0): with input paced it takes keys typed ahead, but it cannot scroll the
 * line: measured at 80 columns, after a 200-character paste it showed the first 78 characters, never
 * the end or the cursor. And it types the letter of a Ctrl+key as text, so Ctrl+U left the line as
 * it was instead of clearing it.
 */
export function FilterPrompt({value, note, onChange, onDone, onCancel, width}: {
  readonly value: string;
  /** what is wrong with the text as typed (a field that does not exist), shown instead of the hint */
  readonly note?: string | null;
  readonly onChange: (value: string) => void;
  readonly onDone: () => void;
  readonly onCancel: () => void;
  readonly width: number;
}) {
  useKeyLayer({
    scopes: ['dialog'],
    modal: true,
    priority: 30,
    text: true,
    onKey: (_command, input, key) => {
      if (key.return) onDone();
      else if (key.escape) onCancel();
      else if (key.backspace || key.delete) onChange(value.slice(0, -1));
      else if (key.ctrl && input === 'u') onChange('');
      else if (!key.ctrl && !key.meta && input && !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow && !key.tab) {
        onChange(value + input.replace(/[\u0000-\u001f\u007f]/g, ''));
      }
      return true;
    },
  });
  const hint = '  Enter keep · Esc undo · Ctrl+U clear · terms: text, fw:relay state:lost update:yes, -term, ! inverts';
  const shown = printable(value);
  const room = Math.max(10, width - 4);
  return (
    <Text wrap="truncate-end">
      <Text color={toneColor('accent')} bold>/</Text>
      <Text>{shown.length > room ? `…${shown.slice(-room)}` : shown}</Text>
      <Text inverse> </Text>
      {note ? <Text color={toneColor('warn')}>  {note}</Text> : <Text color={toneColor('muted')}>{hint}</Text>}
    </Text>
  );
}
