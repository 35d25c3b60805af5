import React from 'react';
import {Box, Text} from 'ink';
import {humanBytes, printable} from '../../../engine/util/text.js';
import type {FirmwareRow} from '../../../store/firmware-slice.js';

/**
 * Everything known about one firmware file, as label/value lines, cut to the height it is given.
 * `devices` are the keys of devices that run it (from the inventory).
 */
export function detailLines(row: FirmwareRow, path: string, devices: readonly string[]): Array<[string, string]> {
  const r = row.record;
  const lines: Array<[string, string]> = [
    ['Firmware', `${r.name} ${r.version}${r.markers ? '' : ' (from the file name: no Homie markers inside)'}`],
    ['File', path],
    ['Size', `${humanBytes(r.size)} (${r.size} bytes)`],
    ['Chip', `${r.chip}${r.flash ? `, flash ${r.flash}` : ''}`],
    ['Compressed', r.gzip ? `gzip (inflated image MD5 ${r.imageMd5 ?? '?'}); ESP8266 with core 2.7.0+, HTTP only` : 'no'],
    ['MD5', r.md5],
    ['SHA-256', r.sha256],
    ['Added', new Date(r.added).toLocaleString('en-GB')],
  ];
  if (r.brand) lines.push(['Brand', r.brand]);
  if (r.app) lines.push(['ESP-IDF app', `${r.app.projectName} ${r.app.appVersion}, IDF ${r.app.idfVersion}, built ${r.app.built}`]);
  lines.push(['Devices', devices.length === 0 ? 'none runs it' : `${devices.length}: ${devices.slice(0, 12).join(', ')}${devices.length > 12 ? ', …' : ''}`]);
  lines.push(['Description', r.description || '(none; press e to write one)']);
  for (const note of r.notes) lines.push(['Note', note]);
  return lines.map(([label, value]) => [label, printable(value)]);
}

export function FirmwareDetail({row, path, devices, height, width}: {
  readonly row: FirmwareRow;
  readonly path: string;
  readonly devices: readonly string[];
  readonly height: number;
  readonly width: number;
}) {
  const lines = detailLines(row, path, devices).slice(0, Math.max(1, height));
  return (
    <Box flexDirection="column" height={height} width={width}>
      {lines.map(([label, value], i) => (
        <Text key={i} wrap="truncate-end"><Text color="gray">{label.padEnd(12)}</Text>{value}</Text>
      ))}
    </Box>
  );
}
