import {Box, Text} from 'ink';
import {useKeyLayer} from '../keyboard.js';
import {wrap} from '../cells.js';
import {toneColor} from '../theme.js';

/** border (2) and padding (2) around the text of a dialog */
const FRAME = 4;

function dialogText(question: string, detail: string | undefined, width: number): {question: string[]; detail: string[]} {
  const room = Math.max(10, width - FRAME);
  return {question: wrap(question, room), detail: detail ? wrap(detail, room) : []};
}

/** Lines the dialog takes at this width (its text is wrapped, never cut), for the view's row budget. */
export function confirmHeight(question: string, detail: string | undefined, width: number): number {
  const text = dialogText(question, detail, width);
  return 2 + text.question.length + text.detail.length + 1;
}

/** A one-question dialog: y or Enter confirms, n or Esc cancels; every other key is ignored. */
export function Confirm({question, detail, width, onConfirm, onCancel, tone = 'warn'}: {
  readonly question: string;
  readonly detail?: string;
  /** the width it may take; its text is wrapped to it */
  readonly width: number;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
  readonly tone?: 'warn' | 'error' | 'info';
}) {
  useKeyLayer({
    scopes: ['dialog'],
    modal: true,
    priority: 40,
    onKey: command => {
      if (command === 'dialog.confirm') onConfirm();
      else if (command === 'dialog.cancel') onCancel();
      return true;
    },
  });
  const color = toneColor(tone === 'info' ? 'accent' : tone);
  const text = dialogText(question, detail, width);
  return (
    <Box flexDirection="column" flexShrink={0} borderStyle="round" borderColor={color} paddingX={1} width={width}>
      {text.question.map((line, i) => <Text key={`q${i}`} bold>{line}</Text>)}
      {text.detail.map((line, i) => <Text key={`d${i}`} color={toneColor('muted')}>{line}</Text>)}
      <Text wrap="truncate-end"><Text bold color={color}>y</Text>/Enter yes   <Text bold>n</Text>/Esc no</Text>
    </Box>
  );
}
