import React, {useMemo, useState} from 'react';
import {Box, Text} from 'ink';
import type {Level, LogEntry} from '../../engine/log.js';
import {useSnapshot} from '../context.js';
import {useKeyLayer} from '../keyboard.js';
import {levelTone, toneColor} from '../theme.js';

const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];
const RANK: Record<Level, number> = {debug: 0, info: 1, warn: 2, error: 3};

export function formatLogRow(entry: LogEntry): string {
  const time = new Date(entry.time).toTimeString().slice(0, 8);
  return `${time} ${entry.level.toUpperCase().padEnd(5)} ${entry.ns}: ${entry.message}`;
}

/**
 * The Log view: the tail of the engine's bounded log ring. It follows new lines until the user scrolls
 * up; `f` or `G` follows again; `w` cycles the lowest level shown.
 */
export function LogView({height, isActive}: {readonly height: number; readonly width: number; readonly isActive: boolean}) {
  const {log} = useSnapshot();
  const [minLevel, setMinLevel] = useState<Level>('debug');
  // lines above the bottom; 0 means following
  const [offset, setOffset] = useState(0);
  const entries = useMemo(() => (minLevel === 'debug' ? log : log.filter(e => RANK[e.level] >= RANK[minLevel])), [log, minLevel]);
  const budget = Math.max(1, height - 1);
  const maxOffset = Math.max(0, entries.length - budget);
  const clamped = Math.min(offset, maxOffset);
  useKeyLayer({
    scopes: ['log', 'list'],
    onKey: command => {
      switch (command) {
        case 'nav.up': setOffset(Math.min(maxOffset, clamped + 1)); return true;
        case 'nav.down': setOffset(Math.max(0, clamped - 1)); return true;
        case 'nav.pageUp': setOffset(Math.min(maxOffset, clamped + budget)); return true;
        case 'nav.pageDown': setOffset(Math.max(0, clamped - budget)); return true;
        case 'nav.top': setOffset(maxOffset); return true;
        case 'nav.bottom':
        case 'log.follow': setOffset(0); return true;
        case 'log.level': setMinLevel(l => LEVELS[(LEVELS.indexOf(l) + 1) % LEVELS.length]!); return true;
        default: return false;
      }
    },
  }, isActive);
  const end = entries.length - clamped;
  const visible = entries.slice(Math.max(0, end - budget), end);
  const status = `${entries.length} lines${minLevel === 'debug' ? '' : ` (${minLevel} and above)`}${clamped === 0 ? ' · following' : ` · ${clamped} newer below (f follows)`}`;
  return (
    <Box flexDirection="column" height={height}>
      <Text color="gray" wrap="truncate-end">{status}</Text>
      {visible.map(entry => (
        <Text key={entry.seq} wrap="truncate-end" color={entry.level === 'info' ? undefined : toneColor(levelTone[entry.level])}>
          {formatLogRow(entry)}
        </Text>
      ))}
    </Box>
  );
}
