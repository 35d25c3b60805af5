import React from 'react';
import {Box, Text} from 'ink';
import type {DashboardSnapshot} from '../../../store/dashboard-store.js';
import {useSnapshot} from '../../context.js';
import {useKeyLayer} from '../../keyboard.js';
import type {ViewProps} from '../types.js';

export function firmwareTabLabel(snapshot: DashboardSnapshot): string {
  return `Firmware ${snapshot.firmware.total}`;
}

/** The Firmware view. (Stub: the firmware work replaces it.) */
export function FirmwareView({height, isActive}: ViewProps) {
  const {firmware} = useSnapshot();
  useKeyLayer({scopes: ['firmware', 'list'], onKey: () => false}, isActive);
  return (
    <Box flexDirection="column" height={height}>
      <Text color="gray">{firmware.total} firmware files</Text>
    </Box>
  );
}
