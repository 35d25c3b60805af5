import {useKeyLayer} from '../keyboard.js';
import type {Command, Scope} from '../keymap.js';

/**
 * Text taller than its box, scrolled with the list keys (j/k, PgUp/PgDn, g/G) while `isActive`; Esc
 * calls `onBack`. `offset` is where the caller keeps the first line shown (kept within the text here).
 * `more`: keys of its own (their scopes, and what they do; true when handled). Returns the first line
 * to show.
 */
export function useScrollKeys({lines, budget, offset, setOffset, onBack, isActive, more}: {
  readonly lines: number;
  readonly budget: number;
  readonly offset: number;
  /** takes an update of the previous offset: keys that arrive before the next render add up */
  readonly setOffset: (update: (previous: number) => number) => void;
  readonly onBack: () => void;
  readonly isActive: boolean;
  readonly more?: {readonly scopes: readonly Scope[]; readonly onKey: (command: Command | undefined) => boolean};
}): number {
  const maxOffset = Math.max(0, lines - budget);
  const at = Math.min(offset, maxOffset);
  const scroll = (to: (from: number) => number) => setOffset(o => Math.max(0, Math.min(maxOffset, to(Math.min(o, maxOffset)))));
  useKeyLayer({
    scopes: ['detail', ...(more?.scopes ?? []), 'list'],
    onKey: command => {
      if (more?.onKey(command)) return true;
      switch (command) {
        case 'nav.back': onBack(); return true;
        case 'nav.up': scroll(o => o - 1); return true;
        case 'nav.down': scroll(o => o + 1); return true;
        case 'nav.pageUp': scroll(o => o - budget); return true;
        case 'nav.pageDown': scroll(o => o + budget); return true;
        case 'nav.top': scroll(() => 0); return true;
        case 'nav.bottom': scroll(() => maxOffset); return true;
        default: return false;
      }
    },
  }, isActive);
  return at;
}

/** The line under scrolled text: how much more there is, and how to get to it. */
export function moreBelow(lines: number, at: number, shown: number, end: string): string {
  const below = lines - at - shown;
  return below > 0 ? `↓ ${below} more line${below === 1 ? '' : 's'} (j/k, PgDn)` : at > 0 ? `(end)  ${end}`.trim() : end;
}
