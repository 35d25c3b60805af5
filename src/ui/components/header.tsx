import React from 'react';
import {Text} from 'ink';
import {toneColor} from '../theme.js';
import {cellWidth} from '../cells.js';
import type {Segment} from './header-lines.js';

export interface Tab {
  readonly key: string;
  readonly label: string;
  readonly active: boolean;
}

/**
 * The status line(s) from headerLines (broker state, the OTA URL whole), then the view tabs: the
 * active tab in inverse video and bold, which shows without colour too.
 */
export function Header({lines, tabs, width}: {readonly lines: readonly Segment[][]; readonly tabs: readonly Tab[]; readonly width: number}) {
  return (
    <>
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line.map((segment, j) => <Text key={j} bold={segment.bold} color={toneColor(segment.tone)}>{segment.text}</Text>)}
        </Text>
      ))}
      <Text wrap="truncate-end">
        {tabs.map(tab => (
          <React.Fragment key={tab.key}>
            <Text inverse={tab.active} bold={tab.active}>{` ${tab.key} ${tab.label} `}</Text>
            <Text> </Text>
          </React.Fragment>
        ))}
        <Text color={toneColor('muted')}>{'─'.repeat(Math.max(0, width - tabs.reduce((sum, tab) => sum + cellWidth(` ${tab.key} ${tab.label}  `), 0)))}</Text>
      </Text>
    </>
  );
}
