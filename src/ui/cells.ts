import stringWidth from 'string-width';

/**
 * Text measured in terminal cells, not UTF-16 code units: a CJK character or an emoji takes two
 * cells, a zero-width space or a combining accent none. Every place that pads or cuts text for the
 * screen goes through these, so a device called "厨房灯" or "🔥 heater" keeps its row aligned and an
 * emoji is never cut in half.
 */

const PLAIN = /^[\x20-\x7e]*$/;
const segmenter = new Intl.Segmenter();
export const ELLIPSIS = '…';

/** Width in terminal cells (printable ASCII, by far the common case, is counted without segmenting). */
export function cellWidth(text: string): number {
  return PLAIN.test(text) ? text.length : stringWidth(text);
}

/** The user-perceived characters of a text, each with its width. */
function* clusters(text: string): Generator<{text: string; width: number}> {
  for (const {segment} of segmenter.segment(text)) yield {text: segment, width: stringWidth(segment)};
}

/** The longest start of `text` that fits in `width` cells, and that width. */
function head(text: string, width: number): {text: string; width: number} {
  if (PLAIN.test(text)) {
    const taken = text.slice(0, Math.max(0, width));
    return {text: taken, width: taken.length};
  }
  let out = '';
  let used = 0;
  for (const c of clusters(text)) {
    if (used + c.width > width) break;
    out += c.text;
    used += c.width;
  }
  return {text: out, width: used};
}

/** At most `width` cells of `text`; a cut is marked with an ellipsis and never splits a character. */
export function cut(text: string, width: number): string {
  if (width <= 0) return '';
  if (cellWidth(text) <= width) return text;
  return head(text, width - 1).text + ELLIPSIS;
}

/** Exactly `width` cells: cut when longer, filled with spaces when shorter (on the left for 'right'). */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const shown = cut(text, width);
  const fill = ' '.repeat(Math.max(0, width - cellWidth(shown)));
  return align === 'right' ? fill + shown : shown + fill;
}

/** Filled with spaces up to `width` cells; never cut. */
export function padCells(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - cellWidth(text)));
}

/**
 * Word-wrapped into lines of at most `width` cells. Words longer than a line are broken between
 * characters; `indent` starts every line after the first (a hanging indent under a label).
 */
export function wrap(text: string, width: number, indent = ''): string[] {
  const room = Math.max(1, width);
  const indentWidth = cellWidth(indent);
  const lines: string[] = [];
  let line = '';
  let used = 0;
  // whether the line has a word yet (an empty word is a space of a run, kept as it was)
  let started = false;
  const limit = () => (lines.length === 0 ? room : Math.max(1, room - indentWidth));
  const put = (piece: string, pieceWidth: number) => {
    line += piece;
    used += pieceWidth;
    started = true;
  };
  const flush = () => {
    lines.push(lines.length === 0 ? line : indent + line);
    line = '';
    used = 0;
    started = false;
  };
  for (const word of text.split(' ')) {
    let rest = word;
    let restWidth = cellWidth(rest);
    const gap = started ? 1 : 0;
    if (used + gap + restWidth <= limit()) {
      put((gap ? ' ' : '') + rest, gap + restWidth);
      continue;
    }
    if (started && restWidth <= limit()) {
      flush();
      put(rest, restWidth);
      continue;
    }
    // a word wider than the room: fill the current line, then whole lines, with its pieces
    if (started) {
      put(' ', 1);
      if (used >= limit()) flush();
    }
    while (used + restWidth > limit()) {
      const piece = head(rest, limit() - used);
      if (piece.text === '') {
        // a two-cell character with one cell left on the line
        if (used > 0) flush();
        else break;
        continue;
      }
      put(piece.text, piece.width);
      rest = rest.slice(piece.text.length);
      restWidth -= piece.width;
      flush();
    }
    put(rest, restWidth);
  }
  if (started || lines.length === 0) flush();
  return lines;
}

/**
 * Parts of a sentence laid out on as few lines as `width` allows: joined by `separator` while they fit,
 * a part that does not fit starts a new line (after `indent`), and only a part wider than a whole line
 * is wrapped. Keeps a path or a command in one piece wherever it can be.
 */
export function flow(parts: readonly string[], width: number, separator = ' · ', indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    if (line !== '' && cellWidth(line) + cellWidth(separator) + cellWidth(part) <= width) {
      line += separator + part;
      continue;
    }
    if (line !== '') lines.push(line);
    const first = lines.length === 0;
    const wrapped = wrap(part, width - (first ? 0 : cellWidth(indent)), '  ');
    const placed = first ? wrapped : wrapped.map(l => indent + l);
    lines.push(...placed.slice(0, -1));
    line = placed.at(-1)!;
  }
  if (line !== '') lines.push(line);
  return lines;
}
