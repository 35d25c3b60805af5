import type {DeviceDetail} from '../../../engine/inventory/types.js';
import {printable, truncate} from '../../../engine/util/text.js';
import type {Tone} from '../../theme.js';
import {padCells} from '../../cells.js';
import {ago, count, signalBar, stateLook, uptimeText} from './format.js';

/** One pre-formatted line of the device detail. */
export interface DetailLine {
  readonly text: string;
  readonly tone?: Tone;
  readonly bold?: boolean;
  /** a section heading: the OTA work finds its place by the "ota" section */
  readonly section?: 'nodes' | 'attributes' | 'ota' | 'problems';
  /** cells to indent the lines a long text wraps onto (default: under the label of a summary line) */
  readonly hang?: number;
}

/** A value longer than this is shown up to here, with how much more there is and where to read it. */
const MAX_VALUE = 1024;

const safe = (text: string | undefined, max = 200) => truncate(printable(text ?? ''), max);
const LABEL = 11;
const label = (name: string) => name.padEnd(LABEL);

function longValue(value: string, key: string): string {
  if (value.length <= MAX_VALUE) return printable(value);
  return `${truncate(printable(value.slice(0, MAX_VALUE + 1)), MAX_VALUE)} (${count(value.length - MAX_VALUE)} more characters: GET /api/devices/${printable(key)})`;
}

/**
 * Everything known about one device, as lines: summary, nodes with their properties (live values and
 * units) and every attribute as received, the OTA history after the summary, then any problems.
 */
export function detailLines(d: DeviceDetail, now: number, otaHistory: readonly DetailLine[]): DetailLine[] {
  const lines: DetailLine[] = [];
  const look = stateLook(d);
  lines.push({text: `${safe(d.id, 80)}   ${safe(d.key, 120)}`, bold: true});
  lines.push({text: `${label('State')}${look.glyph} ${d.state}${d.confirmed ? '' : '  (not yet confirmed by the broker: known from inventory.json)'}`, tone: look.tone});
  lines.push({text: `${label('Name')}${safe(d.name) || '—'}`});
  lines.push({text: `${label('Homie')}${safe(d.homie, 16)}`});
  const fw = d.fw.name || d.fw.version ? `${safe(d.fw.name, 40)} ${safe(d.fw.version, 20)}` : '—';
  lines.push({text: `${label('Firmware')}${fw}${d.updateAvailable ? `   ↑ ${safe(d.latest, 20)} is in the store` : d.latest ? '   (newest in the store)' : ''}`,
    tone: d.updateAvailable ? 'warn' : undefined});
  if (d.fw.checksum) lines.push({text: `${label('Checksum')}${safe(d.fw.checksum, 64)}`});
  lines.push({text: `${label('Network')}${safe(d.ip) || '—'}${d.mac ? `   MAC ${safe(d.mac, 40)}` : ''}`});
  const ota = d.otaEnabled === undefined ? 'unknown' : d.otaEnabled ? 'enabled' : 'disabled';
  lines.push({text: `${label('Device')}${safe(d.implementation) || 'implementation unknown'}   OTA ${ota}${d.otaStatus ? `   last OTA status ${safe(d.otaStatus, 40)}` : ''}`});
  const bar = signalBar(d.signal);
  const stats = [
    d.uptime !== undefined ? `uptime ${uptimeText(d.uptime)}` : null,
    d.signal !== undefined ? `signal ${bar.text} ${d.signal}%` : null,
    d.statsInterval !== undefined ? `every ${d.statsInterval} s` : null,
    ...Object.entries(d.stats).filter(([k]) => !['uptime', 'signal', 'interval'].includes(k)).map(([k, v]) => `${safe(k, 20)} ${safe(v, 30)}`),
  ].filter(Boolean);
  lines.push({text: `${label('Stats')}${stats.join('  ·  ') || '—'}`});
  lines.push({text: `${label('Last seen')}${d.lastSeen ? ago(d.lastSeen, now) : 'no live message since homie-ota started'}`});
  // right under the summary: what happened to this device's updates matters more than its raw topics
  lines.push({text: '── OTA history', bold: true, section: 'ota'});
  lines.push(...otaHistory);

  lines.push({text: '── Nodes and properties', bold: true, section: 'nodes'});
  if (d.nodes.length === 0) lines.push({text: '  none published', tone: 'muted'});
  for (const node of d.nodes) {
    const about = [node.name, node.type && `(${node.type})`, node.array && `array ${node.array}`].filter(Boolean).map(s => safe(s as string, 40)).join(' ');
    lines.push({text: `  ${safe(node.id, 40)}${about ? `  ${about}` : ''}`, bold: true, hang: 4});
    for (const p of node.properties) {
      const value = p.value === undefined ? '—' : `${longValue(p.value, d.key)}${p.unit ? ` ${safe(p.unit, 12)}` : ''}`;
      const meta = [p.datatype && safe(p.datatype, 12), p.settable && 'settable', p.retained === false && 'not retained', p.format && `format ${safe(p.format, 30)}`,
        p.name && p.name !== p.id && safe(p.name, 30)].filter(Boolean).join('  ');
      lines.push({text: `    ${padCells(safe(p.id, 24), 16)} ${padCells(value, 20)} ${meta}`, hang: 6});
    }
  }
  lines.push({text: '── Attributes as received', bold: true, section: 'attributes'});
  for (const [path, value] of Object.entries(d.attributes).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push({text: `  ${padCells(safe(path, 40), 30)} ${longValue(value, d.key)}`, hang: 33});
  }
  if (d.problems.length > 0) {
    lines.push({text: '── Problems', bold: true, section: 'problems', tone: 'warn'});
    for (const problem of d.problems) lines.push({text: `  ${longValue(problem, d.key)}`, tone: 'warn', hang: 4});
  }
  return lines;
}
