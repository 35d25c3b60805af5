import type {Tone} from '../../theme.js';

/**
 * Colour codes written straight into a row's text. Ink's cost grows with the number of Text nodes per
 * frame (style.md §2d-1), so a device row is one Text holding a pre-coloured string instead of ten
 * nested Texts. Honours NO_COLOR / FORCE_COLOR=0 like the rest of the UI (main.ts maps NO_COLOR onto
 * FORCE_COLOR=0 before Ink loads).
 */
const SGR: Record<Tone, number> = {ok: 32, warn: 33, error: 31, muted: 90, info: 34, accent: 36};

export function colorsOn(): boolean {
  return process.env.FORCE_COLOR !== '0' && process.env.NO_COLOR === undefined;
}

export function paint(text: string, tone: Tone | 'marked', on: boolean, bold = false): string {
  if (!on || text === '' || text.trim() === '') return text;
  const code = tone === 'marked' ? 35 : SGR[tone];
  return bold ? `\u001B[1;${code}m${text}\u001B[22;39m` : `\u001B[${code}m${text}\u001B[39m`;
}

export function dim(text: string, on: boolean): string {
  return on && text !== '' ? `\u001B[2m${text}\u001B[22m` : text;
}
