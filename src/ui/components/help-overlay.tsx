import {useState} from 'react';
import {Box, Text} from 'ink';
import {helpRows, type Scope} from '../keymap.js';
import {useKeyLayer} from '../keyboard.js';
import {toneColor} from '../theme.js';

const SCOPE_TITLE: Record<Scope, string> = {
  global: 'Everywhere', list: 'Lists', devices: 'Devices view', filter: 'Devices view, filter set', detail: 'Details',
  device: 'Device detail', firmware: 'Firmware view', queue: 'Queue view', log: 'Log view', dialog: 'Dialogs', help: 'This help',
};

/**
 * The help overlay, generated from the keymap for the current view. The list keys scroll it; Esc or ?
 * closes it; any other key is answered at once with how to close it (it does nothing else here).
 */
export function HelpOverlay({scopes, readonly, height, width, onClose}: {
  readonly scopes: readonly Scope[];
  readonly readonly: boolean;
  readonly height: number;
  readonly width: number;
  readonly onClose: () => void;
}) {
  const [top, setTop] = useState(0);
  const [nudged, setNudged] = useState(false);
  const shown: Scope[] = ['global', ...scopes.filter(s => s !== 'global'), 'dialog', 'help'];
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
  const scroll = (to: number) => {
    setNudged(false);
    setTop(Math.max(0, Math.min(maxTop, to)));
  };
  useKeyLayer({
    scopes: ['help', 'list'],
    modal: true,
    priority: 50,
    onKey: command => {
      switch (command) {
        case 'help.close': onClose(); break;
        case 'nav.down': scroll(top + 1); break;
        case 'nav.up': scroll(top - 1); break;
        case 'nav.pageDown': scroll(top + budget); break;
        case 'nav.pageUp': scroll(top - budget); break;
        case 'nav.top': scroll(0); break;
        case 'nav.bottom': scroll(maxTop); break;
        default: setNudged(true);
      }
      return true;
    },
  });
  const keyWidth = Math.min(24, Math.max(...lines.map(l => l.keys?.length ?? 0)) + 2);
  const how = 'Esc or ? closes · ↑↓ PgUp PgDn g G scroll';
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate-end">
        Keys{'  '}
        {nudged ? <Text color={toneColor('warn')}>that key does nothing here: {how}</Text> : <Text color={toneColor('muted')}>{how}</Text>}
        {readonly ? <Text color={toneColor('muted')}>{'  '}(read-only mode: actions that change devices or firmware are off)</Text> : null}
      </Text>
      {lines.slice(top, top + budget).map((line, i) => line.title
        ? <Text key={i} bold color={toneColor('accent')} wrap="truncate-end">{line.title}</Text>
        : <Text key={i} wrap="truncate-end"><Text color={toneColor('warn')}>{`  ${line.keys!}`.padEnd(keyWidth + 2)}</Text>{line.help}</Text>)}
      {lines.length > budget ? <Text color={toneColor('muted')}>{top + budget < lines.length ? `… ${lines.length - top - budget} more (j, PgDn)` : '(end)'}</Text> : null}
    </Box>
  );
}
