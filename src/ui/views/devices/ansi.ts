import {SGR_FOREGROUND, type Tone} from '../../theme.js';

/**
 * Colour codes written straight into a row's text. Ink's cost grows with the number of Text nodes per
 * frame (style.md §2d-1), so a device row is one Text holding a pre-coloured string instead of ten
 * nested Texts. `on` is the theme's colorsOn(): under NO_COLOR no code is written.
 */
export function paint(text: string, tone: Tone, on: boolean, bold = false): string {
  if (!on || text === '' || text.trim() === '') return text;
  const code = SGR_FOREGROUND[tone];
  return bold ? `\u001B[1;${code}m${text}\u001B[22;39m` : `\u001B[${code}m${text}\u001B[39m`;
}

/** Faint text (not a colour: kept under NO_COLOR). */
export function dim(text: string, on = true): string {
  return on && text !== '' ? `\u001B[2m${text}\u001B[22m` : text;
}
