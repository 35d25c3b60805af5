import {Box, Text} from 'ink';
import {humanBytes, printable} from '../../../engine/util/text.js';
import type {FirmwareRow} from '../../../store/firmware-slice.js';
import {wrap} from '../../cells.js';
import {toneColor} from '../../theme.js';
import {dateTime} from '../../time.js';

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
    ['Added', dateTime(r.added)],
  ];
  if (r.brand) lines.push(['Brand', r.brand]);
  if (r.app) lines.push(['ESP-IDF app', `${r.app.projectName} ${r.app.appVersion}, IDF ${r.app.idfVersion}, built ${r.app.built}`]);
  lines.push(['Devices', devices.length === 0 ? 'none runs it' : `${devices.length}: ${devices.slice(0, 12).join(', ')}${devices.length > 12 ? ', …' : ''}`]);
  lines.push(['Description', r.description || '(none; press e to write one)']);
  for (const note of r.notes) lines.push(['Note', note]);
  return lines.map(([label, value]) => [label, printable(value)]);
}

const LABEL = 12;

/** The detail as screen lines: values wrapped under their label, never cut; the label column muted. */
export function detailScreenLines(lines: ReadonlyArray<[string, string]>, width: number): Array<{label: string; text: string}> {
  const indent = ' '.repeat(LABEL);
  return lines.flatMap(([label, value]) => wrap(value, Math.max(10, width - LABEL)).map((text, i) => ({label: i === 0 ? label.padEnd(LABEL) : indent, text})));
}

export function FirmwareDetail({row, path, devices, height, width}: {
  readonly row: FirmwareRow;
  readonly path: string;
  readonly devices: readonly string[];
  readonly height: number;
  readonly width: number;
}) {
  const all = detailScreenLines(detailLines(row, path, devices), width);
  const room = Math.max(1, height);
  const lines = all.length > room ? all.slice(0, room - 1) : all;
  const hidden = all.length - lines.length;
  return (
    <Box flexDirection="column" height={height} width={width}>
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end"><Text color={toneColor('muted')}>{line.label}</Text>{line.text}</Text>
      ))}
      {hidden > 0 ? <Text wrap="truncate-end" color={toneColor('muted')}>{`… ${hidden} more line${hidden === 1 ? '' : 's'}: a taller terminal shows them, GET /api/firmware/${printable(row.record.name)}/${printable(row.record.version)} has all`}</Text> : null}
    </Box>
  );
}
