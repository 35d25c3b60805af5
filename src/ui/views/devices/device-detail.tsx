import {useLayoutEffect, useMemo} from 'react';
import {Box, Text} from 'ink';
import type {DeviceFocus} from '../../../store/dashboard-store.js';
import {usePersistentState, useStore} from '../../context.js';
import {moreBelow, useScrollKeys} from '../../hooks/use-scroll-keys.js';
import {toneColor} from '../../theme.js';
import {detailLines, type DetailLine} from './detail-lines.js';
import {wrap} from '../../cells.js';
import {otaHistoryLines} from './ota-history.js';

export interface DeviceDetailProps {
  readonly deviceKey: string;
  /** the snapshot's focus: this device's detail and OTA history once the store has it */
  readonly focus: DeviceFocus | null;
  readonly now: number;
  readonly readonly: boolean;
  readonly height: number;
  readonly width: number;
  readonly isActive: boolean;
  readonly onBack: () => void;
  /** u: update this device */
  readonly onUpdate: () => void;
  /** pinned: left out of automatic rollouts */
  readonly pinned?: boolean;
  /** P: pin or unpin this device */
  readonly onPin?: () => void;
  /** the inventory's load from the broker runs: what the device lacks may yet come */
  readonly loading?: boolean;
}

/** The detail of one device, live (rebuilt when its record changes), scrolled with the list keys; u updates it. */
export function DeviceDetailView({deviceKey, focus, now, readonly, height, width, isActive, onBack, onUpdate, pinned = false, onPin, loading = false}: DeviceDetailProps) {
  const store = useStore();
  const [offset, setOffset] = usePersistentState('devices.detailOffset', 0);
  // the store builds this device's detail while it is shown
  useLayoutEffect(() => {
    store.focusDevice(deviceKey);
    return () => store.focusDevice(null);
  }, [store, deviceKey]);
  const mine = focus?.key === deviceKey ? focus : null;
  // the focus changes whenever anything about the device or its jobs does: rebuild then (and once a second for ages)
  const lines = useMemo(() => {
    if (!mine?.detail) return null;
    const all = detailLines(mine.detail, now, otaHistoryLines(mine, readonly, loading));
    // right under the state: whether automatic rollouts leave it out
    all.splice(2, 0, pinned
      ? {text: `${'Pinned'.padEnd(11)}yes: left out of automatic rollouts (P unpins; u still updates it, with a warning)`, tone: 'warn'}
      : {text: `${'Pinned'.padEnd(11)}no (P pins it: automatic rollouts leave it out)`});
    return screenLines(all, width);
  }, [mine, now, readonly, width, pinned, loading]);
  const budget = Math.max(1, height - 1);
  const at = useScrollKeys({lines: lines?.length ?? 0, budget, offset, setOffset, onBack, isActive,
    more: {scopes: ['device'], onKey: command => (command === 'devices.update' ? (onUpdate(), true) : command === 'devices.pin' && onPin ? (onPin(), true) : false)}});
  if (!mine) return <Box height={height} />;
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
