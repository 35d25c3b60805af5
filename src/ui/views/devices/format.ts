import type {DeviceRecord, DeviceState} from '../../../engine/inventory/types.js';
import {groupDigits, humanDuration} from '../../../engine/util/text.js';
import type {Tone} from '../../theme.js';

/**
 * How devices look in the terminal. Every state has its own glyph (meaning never rests on colour
 * alone); a device known only from inventory.json shows ◌ until the broker confirms it. All text from
 * devices goes through printable(): control characters never reach the terminal.
 */
export const STATE_LOOK: Record<DeviceState, {glyph: string; tone: Tone}> = {
  ready: {glyph: '●', tone: 'ok'},
  init: {glyph: '◐', tone: 'warn'},
  sleeping: {glyph: '◑', tone: 'info'},
  disconnected: {glyph: '○', tone: 'muted'},
  lost: {glyph: '✕', tone: 'error'},
  alert: {glyph: '▲', tone: 'error'},
  unknown: {glyph: '?', tone: 'muted'},
};

export const UNCONFIRMED_GLYPH = '◌';

export function stateLook(record: DeviceRecord): {glyph: string; tone: Tone} {
  return record.confirmed ? STATE_LOOK[record.state] : {glyph: UNCONFIRMED_GLYPH, tone: 'muted'};
}

const BARS = ['▂', '▄', '▆', '█'];

/** Wi-Fi signal as four bars ("▂▄▆·" is 60–79 %), with a tone; "····" when unknown. */
export function signalBar(signal: number | undefined): {text: string; tone: Tone} {
  if (signal === undefined) return {text: '····', tone: 'muted'};
  const s = Math.max(0, Math.min(100, signal));
  const lit = s >= 80 ? 4 : s >= 60 ? 3 : s >= 35 ? 2 : s > 0 ? 1 : 0;
  return {text: BARS.slice(0, lit).join('') + '·'.repeat(4 - lit), tone: s >= 60 ? 'ok' : s >= 35 ? 'warn' : 'error'};
}

export function uptimeText(seconds: number | undefined): string {
  return seconds === undefined ? '' : humanDuration(seconds);
}

/** "12 s ago", "3m 4s ago"; empty when never seen live. */
export function ago(time: number | undefined, now: number): string {
  if (time === undefined) return '';
  return `${humanDuration(Math.max(0, (now - time) / 1000))} ago`;
}

/** Group digits: 20000 → "20,000". */
export function count(n: number): string {
  return groupDigits(n);
}
