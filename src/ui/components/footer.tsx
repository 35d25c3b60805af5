import React from 'react';
import {Text} from 'ink';
import type {Hint} from '../keymap.js';

export interface FooterMessage {
  readonly text: string;
  readonly tone: 'info' | 'warn' | 'error';
}

/** A message line (last outcome or problem) and the key hints of the current view. */
export function Footer({hints, message}: {readonly hints: readonly Hint[]; readonly message: FooterMessage | null}) {
  const color = message?.tone === 'error' ? 'red' : message?.tone === 'warn' ? 'yellow' : 'gray';
  return (
    <>
      <Text wrap="truncate-end" color={color}>{message ? message.text : ' '}</Text>
      <Text wrap="truncate-end">
        {hints.map((hint, i) => (
          <React.Fragment key={`${hint.keys}-${hint.label}`}>
            {i > 0 ? <Text>  </Text> : null}
            <Text bold color="cyan">{hint.keys}</Text>
            <Text> {hint.label}</Text>
          </React.Fragment>
        ))}
      </Text>
    </>
  );
}
