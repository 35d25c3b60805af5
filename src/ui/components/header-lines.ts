import type {DashboardSnapshot} from '../../store/dashboard-store.js';
import {humanDuration, printable} from '../../engine/util/text.js';
import {cellWidth, cut, wrap} from '../cells.js';
import {mqttGlyph, type Tone} from '../theme.js';

export interface Segment {
  readonly text: string;
  readonly tone?: Tone;
  readonly bold?: boolean;
}

const lineWidth = (segments: readonly Segment[]) => segments.reduce((sum, s) => sum + cellWidth(s.text), 0);

/**
 * The status line(s) above the tabs: app, broker state and the OTA URL devices must use. The URL is a
 * thing users type into a device, so it is never cut: to make room the line drops the client count,
 * then the broker label, then shortens a connection error, then the words around the glyphs; a URL
 * wider than the terminal gets lines of its own.
 */
export function headerLines(snapshot: DashboardSnapshot, width: number): Segment[][] {
  const lines = statusLines(snapshot, width);
  return snapshot.attached ? [attachedLine(snapshot.attached, width), ...lines] : lines;
}

/** Attached to a homie-ota elsewhere: where, and whether the link is live; quitting leaves the service running. */
function attachedLine(attached: NonNullable<DashboardSnapshot['attached']>, width: number): Segment[] {
  const url = printable(attached.url);
  if (attached.state === 'reconnecting') {
    const text = `◌ reconnecting to ${url}${attached.error ? `: ${printable(attached.error)}` : ''}`;
    return [{text: cut(text, width), tone: 'warn', bold: true}];
  }
  const rich = `⇄ attached to ${url} · q detaches, the service keeps running`;
  return [{text: cellWidth(rich) <= width ? rich : cut(`⇄ attached to ${url}`, width), tone: 'accent'}];
}

function statusLines(snapshot: DashboardSnapshot, width: number): Segment[][] {
  const {mqtt} = snapshot;
  const look = mqttGlyph[mqtt.state];
  const connected = mqtt.state === 'connected';
  const broker = snapshot.embeddedBroker;
  const label = broker ? `embedded :${broker.port}` : printable(mqtt.url);
  const clients = broker ? `, ${broker.clients} client${broker.clients === 1 ? '' : 's'}` : '';
  const age = humanDuration((snapshot.now - mqtt.since) / 1000);
  const error = mqtt.lastError ? `: ${printable(mqtt.lastError)}` : '';
  const ota: Segment[] = [{text: '  OTA '}, {text: snapshot.otaUrl, tone: 'accent'}];
  const readonly: Segment[] = snapshot.readonly ? [{text: ' [read-only]', tone: 'warn'}] : [];

  // richest first; the first that fits is drawn
  const variants = (withApp: boolean, withMqtt: boolean, withWord: boolean, detail: string): Segment[] => [
    ...(withApp ? [{text: 'homie-ota', tone: 'accent', bold: true} as Segment] : []),
    {text: `${withApp ? '  ' : ''}${withMqtt ? 'MQTT ' : ''}`},
    {text: withWord || !connected ? `${look.glyph} ${connected ? 'connected' : `${mqtt.state} ${age}`}` : look.glyph, tone: look.tone},
    ...(detail ? [{text: detail, tone: connected ? undefined : look.tone} as Segment] : []),
    ...ota,
    ...readonly,
  ];
  const tries: Segment[][] = connected
    ? [variants(true, true, true, ` ${label}${clients}`), variants(true, true, true, ` ${label}`), variants(true, true, true, '')]
    : [variants(true, true, true, `${error} (${label})`), variants(true, true, true, error)];
  // the armed names when they fit beside the rest; a stopped automatic rollout (in red) before the app's name and the word MQTT
  const auto = autoSegment(snapshot);
  const short = [variants(true, false, true, ''), variants(false, false, true, '')];
  const alert = auto.some(a => a.tone === 'error');
  const ordered = [...[...tries, ...(alert ? short : [])].map(t => [...t, ...auto]), ...tries];
  for (const line of ordered) if (lineWidth(line) <= width) return [line.filter(s => s.text !== '')];

  if (!connected && error) {
    // the error, shortened to the room left
    const bare = variants(true, true, true, '');
    const room = width - lineWidth(bare);
    if (room >= 12) return [variants(true, true, true, cut(error, room))];
  }
  for (const line of [variants(true, false, true, ''), variants(false, false, true, ''), variants(false, false, false, '')]) {
    if (lineWidth(line) <= width) return [line.filter(s => s.text !== '')];
  }
  // not even the URL fits beside the glyph: the URL on lines of its own, whole
  const status = variants(true, true, true, '').slice(0, -ota.length - readonly.length);
  // a URL has no spaces to break at: it is broken at the width, and nowhere else
  const urlLines = wrap(`OTA ${snapshot.otaUrl}`, width);
  return [
    [...status, ...readonly].filter(s => s.text !== ''),
    ...urlLines.map(text => [{text, tone: 'accent' as Tone}]),
  ];
}


/** "  auto relay, sensor" — "  auto relay ✗ stopped" when an automatic rollout stopped. */
function autoSegment(snapshot: DashboardSnapshot): Segment[] {
  // (a snapshot made before automatic rollouts existed has none)
  const armed = snapshot.policies?.armed ?? [];
  if (armed.length === 0) return [];
  const names = armed.map(p => `${printable(p.name)}${p.alert ? ' ✗ stopped' : ''}`).join(', ');
  return [{text: `  auto ${names}`, tone: armed.some(p => p.alert) ? 'error' : 'accent'}];
}
