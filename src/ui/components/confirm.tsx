import React from 'react';
import {Box, Text} from 'ink';
import {useKeyLayer} from '../keyboard.js';

/** A one-question dialog: y or Enter confirms, n or Esc cancels; every other key is ignored. */
export function Confirm({question, detail, onConfirm, onCancel, tone = 'warn'}: {
  readonly question: string;
  readonly detail?: string;
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
  const color = tone === 'error' ? 'red' : tone === 'info' ? 'cyan' : 'yellow';
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={color} paddingX={1}>
      <Text bold wrap="truncate-end">{question}</Text>
      {detail ? <Text wrap="truncate-end" color="gray">{detail}</Text> : null}
      <Text wrap="truncate-end"><Text bold color={color}>y</Text>/Enter yes   <Text bold>n</Text>/Esc no</Text>
    </Box>
  );
}
