import type React from 'react';
import {useMemo} from 'react';
import {Box, Text} from 'ink';
import type {DashboardSnapshot} from '../../../store/dashboard-store.js';
import {deviceByKey} from '../../../store/inventory-slice.js';
import {Confirm} from '../../components/confirm.js';
import {toneColor} from '../../theme.js';
import type {ViewProps} from '../types.js';
import {UpdateDialog} from '../update/update-dialog.js';
import {DeviceDetailView} from './device-detail.js';
import {DeviceRow, TableHeader} from './device-table.js';
import {FilterPrompt} from './filter-prompt.js';
import {emptyMessage, statusLine, unknownFieldNote} from './status-line.js';
import {useDevicesView} from './use-devices-view.js';
import {useSameItems} from '../../hooks/use-same-items.js';
import {loadRunning} from '../../../engine/util/load-phase.js';

export {MARKS_KEY} from './use-devices-view.js';

export function devicesTabLabel(snapshot: DashboardSnapshot): string {
  return `Devices ${snapshot.devices.online}/${snapshot.devices.total}`;
}

/**
 * The Devices view: a live table of every device (only the visible rows are drawn; filtering and
 * sorting are cached selectors), and the detail of one device on Enter. Its state and keys live in
 * useDevicesView; this draws them.
 */
export function DevicesView({height, width, isActive}: ViewProps) {
  const m = useDevicesView(height, width, isActive);
  const {snapshot, overlay, filter, sort, rows} = m;
  const {devices} = snapshot;
  const note = unknownFieldNote(m.query.filter);
  const empty = rows.length === 0 ? emptyMessage(snapshot.settings.prefixes, devices, filter.text, filter.invert, note) : null;
  const status = statusLine(devices, rows.length, filter, sort, m.marks.size, m.top, m.visible.length, note);
  const visible = useSameItems(m.visible);
  const list = (top: React.ReactNode, bottom: React.ReactNode) => (
    <Box flexDirection="column" height={height}>
      {top}
      <TableHeader layout={m.layout} sort={sort.column} desc={sort.desc} />
      {empty ? <Text color={toneColor('warn')}>{empty}</Text> : null}
      {visible.map((record, i) => (
        <DeviceRow key={record.key} record={record} layout={m.layout} selected={m.top + i === m.index} marked={m.marks.has(record.key)} pinned={m.pinned.has(record.key)} />
      ))}
      {bottom}
    </Box>
  );
  // the list alone is the same element until something on it changes: a snapshot that changed only
  // devices off screen then costs no frame (Ink draws the whole frame for any element rendered again)
  const plain = useMemo(() => list(<Text wrap="truncate-end" color={toneColor('muted')}>{status}</Text>, null),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [height, status, empty, visible, m.layout, sort.column, sort.desc, m.top, m.index, m.marks, m.pinned]);
  if (overlay?.kind === 'update') {
    const chosen = overlay.target.keys.map(k => deviceByKey(devices, k)).filter(d => d !== undefined);
    return (
      <Box flexDirection="column" height={height}>
        <UpdateDialog devices={chosen} scope={overlay.target.scope} height={height} width={width} onCancel={m.closeOverlay} onDone={m.updateDone} />
      </Box>
    );
  }
  if (m.detailKey !== null) {
    return <DeviceDetailView deviceKey={m.detailKey} focus={snapshot.focus} now={snapshot.now} readonly={snapshot.readonly} height={height} width={width} isActive={isActive} onBack={m.closeDetail} onUpdate={m.updateDetail} loading={loadRunning(snapshot.devices.discovery.phase)} pinned={m.pinned.has(m.detailKey)} onPin={() => m.pin([m.detailKey!])} />;
  }
  if (overlay === null) return plain;
  return list(
    overlay.kind === 'filter' ? (
      <FilterPrompt value={filter.text} note={note} width={width} onChange={m.setFilterText} onDone={m.closeOverlay} onCancel={m.cancelFilter} />
    ) : <Text wrap="truncate-end" color={toneColor('muted')}>{status}</Text>,
    overlay.kind === 'forget' && m.forgetText ? (
      <Confirm question={m.forgetText.question} detail={m.forgetText.detail} width={width} onConfirm={() => m.forget(overlay.key)} onCancel={m.closeOverlay} />
    ) : null,
  );
}
