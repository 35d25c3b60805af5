import {useMemo} from 'react';
import {Box, Text} from 'ink';
import type {DeviceRecord} from '../../../engine/inventory/types.js';
import {useEngine} from '../../context.js';
import {usePersistentState} from '../../context.js';
import {moreBelow, useScrollKeys} from '../../hooks/use-scroll-keys.js';
import {toneColor} from '../../theme.js';
import {detailLines, type DetailLine} from './detail-lines.js';
import {wrap} from '../../cells.js';
import {otaHistoryLines} from './ota-history.js';

export interface DeviceDetailProps {
  readonly deviceKey: string;
  /** the device's current record (undefined once it is forgotten) */
  readonly record: DeviceRecord | undefined;
  readonly now: number;
  readonly height: number;
  readonly width: number;
  readonly isActive: boolean;
  readonly onBack: () => void;
  /** u: update this device */
  readonly onUpdate: () => void;
}

/** The detail of one device, live (rebuilt when its record changes), scrolled with the list keys; u updates it. */
export function DeviceDetailView({deviceKey, record, now, height, width, isActive, onBack, onUpdate}: DeviceDetailProps) {
  const engine = useEngine();
  const [offset, setOffset] = usePersistentState('devices.detailOffset', 0);
  // the record changes whenever anything about the device does: rebuild then (and once a second for ages)
  const lines = useMemo(() => {
    const detail = record ? engine.inventory.detail(deviceKey) : undefined;
    return detail ? screenLines(detailLines(detail, now, otaHistoryLines(engine, deviceKey, now)), width) : null;
  }, [engine, deviceKey, record, now, width]);
  const budget = Math.max(1, height - 1);
  const at = useScrollKeys({lines: lines?.length ?? 0, budget, offset, setOffset, onBack, isActive,
    more: {scopes: ['device'], onKey: command => (command === 'devices.update' ? (onUpdate(), true) : false)}});
  if (!lines) {
    return (
      <Box flexDirection="column" height={height}>
        <Text color={toneColor('warn')}>This device is no longer in the inventory (forgotten, or removed by its owner). Esc goes back to the list.</Text>
      </Box>
    );
  }
  const visible = lines.slice(at, at + budget);
  return (
    <Box flexDirection="column" height={height}>
      {visible.map((line, i) => (
        <Text key={i} wrap="truncate-end" bold={line.bold} color={line.tone ? toneColor(line.tone) : undefined}>{line.text || ' '}</Text>
      ))}
      <Text color={toneColor('muted')} wrap="truncate-end">{moreBelow(lines.length, at, visible.length, ' ')}</Text>
    </Box>
  );
}

/** The detail as screen lines: long texts wrapped at the width under their label, never cut. */
export function screenLines(lines: readonly DetailLine[], width: number): DetailLine[] {
  return lines.flatMap(line => {
    const parts = wrap(line.text, width, ' '.repeat(Math.min(line.hang ?? 11, Math.floor(width / 2))));
    return parts.length === 1 ? [line] : parts.map(text => ({...line, text}));
  });
}
