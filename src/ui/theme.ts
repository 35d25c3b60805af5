/**
 * Semantic colours and glyphs. Every colour on the screen comes from here, by tone: with NO_COLOR set
 * (https://no-color.org) every tone resolves to no colour, while inverse video, bold and the glyphs
 * stay, so the cursor row, the active view, marks and states remain visible on a monochrome screen.
 * Meaning never rests on colour alone: every state has its own glyph.
 */
export type Tone = 'ok' | 'warn' | 'error' | 'muted' | 'info' | 'accent' | 'marked';

const PALETTE: Record<Tone, string> = {
  accent: 'cyan',
  muted: 'gray',
  ok: 'green',
  warn: 'yellow',
  error: 'red',
  info: 'blue',
  marked: 'magenta',
};

/** The SGR foreground code of each palette colour, for rows drawn as one pre-styled string. */
export const SGR_FOREGROUND: Record<Tone, number> = {accent: 36, muted: 90, ok: 32, warn: 33, error: 31, info: 34, marked: 35};

/** False under NO_COLOR (any non-empty value) or FORCE_COLOR=0. Read each time: tests switch it. */
export function colorsOn(): boolean {
  return !process.env.NO_COLOR && process.env.FORCE_COLOR !== '0';
}

/** The colour of a tone for Ink's `color`/`borderColor`, or undefined (no colour) under NO_COLOR. */
export function toneColor(tone: Tone | undefined | null): string | undefined {
  return tone && colorsOn() ? PALETTE[tone] : undefined;
}

export const levelTone = {debug: 'muted', info: 'info', warn: 'warn', error: 'error'} as const satisfies Record<string, Tone>;

/** The MQTT connection state as shown in the header. */
export const mqttGlyph = {
  connected: {glyph: '●', tone: 'ok'},
  connecting: {glyph: '◌', tone: 'warn'},
  reconnecting: {glyph: '◌', tone: 'warn'},
  closed: {glyph: '○', tone: 'error'},
} as const satisfies Record<string, {glyph: string; tone: Tone}>;

/** The sort direction beside a column title: chevrons, unlike the ▲ of a device in alert and the ↑ of an update. */
export const SORT_MARK = {asc: '˄', desc: '˅'} as const;
