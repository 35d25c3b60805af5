import React, {useState} from 'react';
import {Box, Text} from 'ink';
import {helpRows, type Scope} from '../keymap.js';
import {useKeyLayer} from '../keyboard.js';
import {toneColor} from '../theme.js';

const SCOPE_TITLE: Record<Scope, string> = {
  global: 'Everywhere', list: 'Lists', devices: 'Devices view', detail: 'Detail', firmware: 'Firmware view',
  queue: 'Queue view', log: 'Log view', dialog: 'Dialogs',
};

/** The help overlay, generated from the keymap for the current view; j/k scroll, any other key closes. */
export function HelpOverlay({scopes, readonly, height, width, onClose}: {
  readonly scopes: readonly Scope[];
  readonly readonly: boolean;
  readonly height: number;
  readonly width: number;
  readonly onClose: () => void;
}) {
  const [top, setTop] = useState(0);
  const shown: Scope[] = ['global', ...scopes.filter(s => s !== 'global'), 'dialog'];
  const rows = helpRows(shown, readonly);
  const lines: Array<{title?: string; keys?: string; help?: string}> = [];
  for (const scope of shown) {
    const inScope = rows.filter(r => r.scope === scope);
    if (inScope.length === 0) continue;
    lines.push({title: SCOPE_TITLE[scope]});
    for (const row of inScope) lines.push({keys: row.keys, help: row.help});
  }
  const budget = Math.max(1, height - 2);
  const maxTop = Math.max(0, lines.length - budget);
  useKeyLayer({
    scopes: ['list'],
    modal: true,
    priority: 50,
    onKey: command => {
      if (command === 'nav.down') setTop(t => Math.min(maxTop, t + 1));
      else if (command === 'nav.up') setTop(t => Math.max(0, t - 1));
      else if (command === 'nav.pageDown') setTop(t => Math.min(maxTop, t + budget));
      else if (command === 'nav.pageUp') setTop(t => Math.max(0, t - budget));
      else onClose();
      return true;
    },
  });
  const keyWidth = Math.min(24, Math.max(...lines.map(l => l.keys?.length ?? 0)) + 2);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate-end">Keys{readonly ? ' (read-only mode: actions that change devices or firmware are off)' : ''}  <Text color={toneColor('muted')}>j/k scroll · any other key closes</Text></Text>
      {lines.slice(top, top + budget).map((line, i) => line.title
        ? <Text key={i} bold color={toneColor('accent')} wrap="truncate-end">{line.title}</Text>
        : <Text key={i} wrap="truncate-end"><Text color={toneColor('warn')}>{`  ${line.keys!}`.padEnd(keyWidth + 2)}</Text>{line.help}</Text>)}
      {lines.length > budget ? <Text color={toneColor('muted')}>{top + budget < lines.length ? `… ${lines.length - top - budget} more (j)` : ' '}</Text> : null}
    </Box>
  );
}
