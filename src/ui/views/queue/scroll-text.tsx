import React from 'react';
import {Box, Text} from 'ink';
import {wrap} from '../../cells.js';
import {usePersistentState} from '../../context.js';
import {moreBelow, useScrollKeys} from '../../hooks/use-scroll-keys.js';
import {toneColor, type Tone} from '../../theme.js';

/** A paragraph of the text: wrapped to the width, every part of it shown. */
export interface Paragraph {
  readonly text: string;
  readonly tone?: Tone;
  readonly bold?: boolean;
  /** continuation lines start under this many cells (a hanging indent, e.g. past a time stamp) */
  readonly indent?: number;
}

/**
 * Text longer than the screen, wrapped and scrolled with the list keys (j/k, PgUp/PgDn, g/G); Esc
 * goes back. "↓ N more lines" shows when there is more below.
 */
export function ScrollText({id, paragraphs, width, height, isActive, onBack}: {
  /** remembers the scroll position per text */
  readonly id: string;
  readonly paragraphs: readonly Paragraph[];
  readonly width: number;
  readonly height: number;
  readonly isActive: boolean;
  readonly onBack: () => void;
}) {
  const [offsets, setOffsets] = usePersistentState<Record<string, number>>('queue.scroll', {});
  const lines = React.useMemo(() => paragraphs.flatMap(p => wrap(p.text, width, ' '.repeat(p.indent ?? 0)).map(text => ({...p, text}))), [paragraphs, width]);
  const budget = Math.max(1, height - 1);
  const at = useScrollKeys({lines: lines.length, budget, offset: offsets[id] ?? 0, setOffset: update => setOffsets(o => ({...o, [id]: update(o[id] ?? 0)})), onBack, isActive});
  const visible = lines.slice(at, at + budget);
  return (
    <Box flexDirection="column" height={height}>
      {visible.map((line, i) => (
        <Text key={i} wrap="truncate-end" bold={line.bold} color={line.tone ? toneColor(line.tone) : undefined}>{line.text || ' '}</Text>
      ))}
      <Text wrap="truncate-end" color={toneColor('muted')}>
        {moreBelow(lines.length, at, visible.length, 'Esc back')}
      </Text>
    </Box>
  );
}
