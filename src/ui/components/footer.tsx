import React from 'react';
import {Text} from 'ink';
import type {Command, Hint} from '../keymap.js';
import {cellWidth} from '../cells.js';
import {toneColor} from '../theme.js';

export interface FooterMessage {
  readonly text: string;
  readonly tone: 'info' | 'warn' | 'error';
}

/** Always shown, always last: how to learn the rest, and how to leave. */
const PINNED: readonly Command[] = ['app.help', 'app.quit'];
const GAP = 2;

const hintWidth = (hint: Hint) => cellWidth(`${hint.keys} ${hint.label}`);

/**
 * The hints that fit in `width` cells, whole: `? help` and `q quit` at the end whenever they are
 * offered, the view's own hints in keymap order (its order is their priority) until the line is full.
 */
export function fitHints(hints: readonly Hint[], width: number): Hint[] {
  const pinned = PINNED.map(command => hints.find(h => h.command === command)).filter((h): h is Hint => h !== undefined);
  let used = pinned.reduce((sum, h, i) => sum + hintWidth(h) + (i > 0 ? GAP : 0), 0);
  const shown: Hint[] = [];
  for (const hint of hints) {
    if (pinned.includes(hint)) continue;
    const needed = hintWidth(hint) + (used > 0 ? GAP : 0);
    if (used + needed > width) break;
    shown.push(hint);
    used += needed;
  }
  return [...shown, ...pinned];
}

/** A message line (last outcome or problem) and the key hints of the current view. */
export function Footer({hints, message, width}: {readonly hints: readonly Hint[]; readonly message: FooterMessage | null; readonly width: number}) {
  const color = toneColor(message?.tone === 'error' ? 'error' : message?.tone === 'warn' ? 'warn' : 'muted');
  return (
    <>
      <Text wrap="truncate-end" color={color}>{message ? message.text : ' '}</Text>
      <Text wrap="truncate-end">
        {fitHints(hints, width).map((hint, i) => (
          <React.Fragment key={`${hint.keys}-${hint.label}`}>
            {i > 0 ? <Text>{' '.repeat(GAP)}</Text> : null}
            <Text bold color={toneColor('accent')}>{hint.keys}</Text>
            <Text> {hint.label}</Text>
          </React.Fragment>
        ))}
      </Text>
    </>
  );
}
