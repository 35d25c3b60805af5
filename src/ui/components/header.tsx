import React from 'react';
import {Text} from 'ink';
import type {DashboardSnapshot} from '../../store/dashboard-store.js';
import {humanDuration} from '../../engine/util/text.js';
import {mqttGlyph, toneColor} from '../theme.js';

export interface Tab {
  readonly key: string;
  readonly label: string;
  readonly active: boolean;
}

/** Two lines: app, broker state and the OTA URL devices must use; then the view tabs. */
export function Header({snapshot, tabs, width}: {readonly snapshot: DashboardSnapshot; readonly tabs: readonly Tab[]; readonly width: number}) {
  const {mqtt} = snapshot;
  const look = mqttGlyph[mqtt.state];
  const age = humanDuration((snapshot.now - mqtt.since) / 1000);
  const where = snapshot.embeddedBroker ? `embedded :${snapshot.embeddedBroker.port}, ${snapshot.embeddedBroker.clients} client${snapshot.embeddedBroker.clients === 1 ? '' : 's'}` : mqtt.url;
  const detail = mqtt.state === 'connected'
    ? `${where}`
    : `${mqtt.state} ${age}${mqtt.lastError ? `: ${mqtt.lastError}` : ''} (${mqtt.url})`;
  return (
    <>
      <Text wrap="truncate-end">
        <Text bold color="cyan">homie-ota</Text>
        <Text>  MQTT </Text>
        <Text color={toneColor(look.tone)}>{look.glyph} {mqtt.state === 'connected' ? 'connected' : ''}</Text>
        <Text color={mqtt.state === 'connected' ? undefined : toneColor(look.tone)}>{mqtt.state === 'connected' ? ` ${detail}` : detail}</Text>
        <Text>  OTA </Text>
        <Text color="cyan">{snapshot.otaUrl}</Text>
        {snapshot.readonly ? <Text color="yellow"> [read-only]</Text> : null}
      </Text>
      <Text wrap="truncate-end">
        {tabs.map(tab => (
          <React.Fragment key={tab.key}>
            <Text inverse={tab.active} bold={tab.active}>{` ${tab.key} ${tab.label} `}</Text>
            <Text> </Text>
          </React.Fragment>
        ))}
        <Text color="gray">{'─'.repeat(Math.max(0, width))}</Text>
      </Text>
    </>
  );
}
