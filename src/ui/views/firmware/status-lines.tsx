import {Box, Text} from 'ink';
import {humanBytes, printable} from '../../../engine/util/text.js';
import type {FirmwareSlice} from '../../../store/firmware-slice.js';
import {levelTone, toneColor, type Tone} from '../../theme.js';
import {wrap} from '../../cells.js';
import {clockTime} from '../../time.js';

/** A message from the view itself (a refused delete, a saved description), shown for a few seconds. */
export interface Flash {
  readonly text: string;
  readonly tone: 'info' | 'warn' | 'error';
  readonly until: number;
}

export interface StatusLine {
  readonly text: string;
  readonly tone: Tone | null;
}

const DROP_GLYPH = {copying: '⧗', incomplete: '⧗', readonly: '○', 'not filed': '○', error: '✗'} as const;
const OUTCOME_GLYPH = {info: '✓', warn: '⚠', error: '✗'} as const;

/**
 * The lines under the list, oldest first: the last outcomes of drops and uploads (with their time),
 * files in the folder that are not filed yet and why, and the view's own message.
 */
export function statusLines(slice: FirmwareSlice, flash: Flash | null, now: number): StatusLine[] {
  const lines: StatusLine[] = [];
  for (const outcome of slice.outcomes.slice(-2)) {
    const time = clockTime(outcome.time);
    lines.push({text: `${time} ${OUTCOME_GLYPH[outcome.level]} ${printable(outcome.text)}`, tone: outcome.level === 'info' ? 'ok' : levelTone[outcome.level]});
  }
  const drops = slice.drops;
  for (const drop of drops.slice(0, 2)) {
    const size = drop.state === 'copying' ? '' : ` (${humanBytes(drop.size)})`;
    lines.push({text: `${DROP_GLYPH[drop.state]} ${printable(drop.file)}${size}: ${printable(drop.detail)}`, tone: drop.state === 'error' ? 'error' : drop.state === 'copying' ? 'info' : 'warn'});
  }
  if (drops.length > 2) lines.push({text: `… and ${drops.length - 2} more files in the folder waiting (GET /api/firmware lists them)`, tone: 'muted'});
  if (flash && flash.until > now) lines.push({text: printable(flash.text), tone: flash.tone === 'info' ? 'ok' : flash.tone});
  return lines;
}

/** The status lines wrapped to the width (a reason is never cut), continuation lines indented. */
export function wrapStatus(lines: readonly StatusLine[], width: number): StatusLine[] {
  return lines.flatMap(line => wrap(line.text, width, '    ').map(text => ({text, tone: line.tone})));
}

export function StatusLines({lines}: {readonly lines: readonly StatusLine[]}) {
  if (lines.length === 0) return null;
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end" color={line.tone ? toneColor(line.tone) : undefined}>{line.text}</Text>
      ))}
    </Box>
  );
}
