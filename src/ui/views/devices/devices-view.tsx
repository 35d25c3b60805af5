import React from 'react';
import {Box, Text} from 'ink';
import type {DashboardSnapshot} from '../../../store/dashboard-store.js';
import {useSnapshot} from '../../context.js';
import {useKeyLayer} from '../../keyboard.js';
import type {ViewProps} from '../types.js';

export function devicesTabLabel(snapshot: DashboardSnapshot): string {
  return `Devices ${snapshot.devices.online}/${snapshot.devices.total}`;
}

/** The Devices view. (Stub: the inventory work replaces it.) */
export function DevicesView({height, isActive}: ViewProps) {
  const {devices} = useSnapshot();
  useKeyLayer({scopes: ['devices', 'list'], onKey: () => false}, isActive);
  return (
    <Box flexDirection="column" height={height}>
      <Text color="gray">{devices.total} devices</Text>
    </Box>
  );
}
