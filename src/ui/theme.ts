/**
 * Semantic colours and glyphs. Meaning never rests on colour alone: every state has its own glyph,
 * so NO_COLOR terminals (where chalk prints no colours) still tell states apart.
 */
export const colors = {
  accent: 'cyan',
  muted: 'gray',
  ok: 'green',
  warn: 'yellow',
  error: 'red',
  info: 'blue',
  selected: 'cyan',
  marked: 'magenta',
} as const;

export type Tone = 'ok' | 'warn' | 'error' | 'muted' | 'info' | 'accent';

export function toneColor(tone: Tone): string {
  return colors[tone];
}

export const levelTone = {debug: 'muted', info: 'info', warn: 'warn', error: 'error'} as const satisfies Record<string, Tone>;

/** The MQTT connection state as shown in the header. */
export const mqttGlyph = {
  connected: {glyph: '●', tone: 'ok'},
  connecting: {glyph: '◌', tone: 'warn'},
  reconnecting: {glyph: '◌', tone: 'warn'},
  closed: {glyph: '○', tone: 'error'},
} as const satisfies Record<string, {glyph: string; tone: Tone}>;
