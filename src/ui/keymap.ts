/**
 * The one keymap: key bindings, footer hints and the help overlay are all generated from BINDINGS.
 * Views act on commands. Text prompts (filter, description) read the typed characters and their
 * editing keys, and the update dialog also takes Enter, Esc and q as they come.
 */
export type Scope = 'global' | 'list' | 'devices' | 'filter' | 'detail' | 'device' | 'firmware' | 'queue' | 'log' | 'dialog' | 'help';

export type Command =
  | 'app.quit' | 'app.help' | 'view.devices' | 'view.firmware' | 'view.queue' | 'view.log' | 'view.next' | 'view.prev'
  | 'nav.up' | 'nav.down' | 'nav.pageUp' | 'nav.pageDown' | 'nav.top' | 'nav.bottom' | 'nav.open' | 'nav.back'
  | 'devices.sortPrev' | 'devices.sortNext' | 'devices.sortInvert' | 'devices.filter' | 'devices.filterInvert'
  | 'devices.mark' | 'devices.markAll' | 'devices.clearMarks' | 'devices.forget' | 'devices.update' | 'devices.clearFilter'
  | 'firmware.edit' | 'firmware.delete' | 'firmware.arm' | 'devices.pin'
  | 'queue.cancel' | 'queue.retry' | 'queue.pause' | 'queue.dismiss' | 'queue.toggleFinished'
  | 'log.follow' | 'log.level' | 'log.wrap'
  | 'dialog.confirm' | 'dialog.cancel'
  | 'help.close';

export type SpecialKey =
  | 'up' | 'down' | 'left' | 'right' | 'pageUp' | 'pageDown' | 'home' | 'end'
  | 'return' | 'escape' | 'tab' | 'shiftTab' | 'space' | 'backspace' | 'delete';

export interface KeySpec {
  /** a printable character, matched exactly (case-sensitive) */
  readonly input?: string;
  readonly key?: SpecialKey;
  readonly ctrl?: boolean;
}

export interface Binding {
  readonly command: Command;
  readonly scope: Scope;
  readonly keys: readonly KeySpec[];
  /** what the help overlay says */
  readonly help: string;
  /** short footer label; without one the binding is only in the help overlay */
  readonly hint?: string;
  /** changes a device or the store: hidden and refused in --readonly */
  readonly mutates?: boolean;
}

const k = (input: string): KeySpec => ({input});
const special = (key: SpecialKey): KeySpec => ({key});

export const BINDINGS: readonly Binding[] = [
  {command: 'view.devices', scope: 'global', keys: [k('1')], help: 'Devices view'},
  {command: 'view.firmware', scope: 'global', keys: [k('2')], help: 'Firmware view'},
  {command: 'view.queue', scope: 'global', keys: [k('3')], help: 'Queue view (OTA jobs)'},
  {command: 'view.log', scope: 'global', keys: [k('4')], help: 'Log view'},
  {command: 'view.next', scope: 'global', keys: [special('tab')], help: 'next view'},
  {command: 'view.prev', scope: 'global', keys: [special('shiftTab')], help: 'previous view'},
  {command: 'app.help', scope: 'global', keys: [k('?')], help: 'show or hide this help', hint: 'help'},
  {command: 'app.quit', scope: 'global', keys: [k('q'), {input: 'c', ctrl: true}], help: 'quit (q asks first while updates are open; Ctrl+C quits at once); attached to a service, q detaches and the service keeps running', hint: 'quit'},

  {command: 'nav.up', scope: 'list', keys: [special('up'), k('k')], help: 'move up'},
  {command: 'nav.down', scope: 'list', keys: [special('down'), k('j')], help: 'move down', hint: 'move'},
  {command: 'nav.pageUp', scope: 'list', keys: [special('pageUp'), {input: 'u', ctrl: true}], help: 'page up'},
  {command: 'nav.pageDown', scope: 'list', keys: [special('pageDown'), {input: 'd', ctrl: true}], help: 'page down'},
  {command: 'nav.top', scope: 'list', keys: [k('g'), special('home')], help: 'first row'},
  {command: 'nav.bottom', scope: 'list', keys: [k('G'), special('end')], help: 'last row'},

  {command: 'nav.open', scope: 'devices', keys: [special('return')], help: 'device detail', hint: 'detail'},
  {command: 'devices.filter', scope: 'devices', keys: [k('/')], help: 'filter: text, or key:value terms such as fw:relay state:lost', hint: 'filter'},
  {command: 'devices.filterInvert', scope: 'devices', keys: [k('!')], help: 'invert the filter'},
  {command: 'devices.sortPrev', scope: 'devices', keys: [k('<')], help: 'sort by the previous column'},
  {command: 'devices.sortNext', scope: 'devices', keys: [k('>')], help: 'sort by the next column', hint: 'sort'},
  {command: 'devices.sortInvert', scope: 'devices', keys: [k('I')], help: 'invert the sort order'},
  {command: 'devices.mark', scope: 'devices', keys: [special('space')], help: 'mark or unmark the device', hint: 'mark'},
  {command: 'devices.markAll', scope: 'devices', keys: [k('a')], help: 'mark every visible device'},
  {command: 'devices.clearMarks', scope: 'devices', keys: [k('U')], help: 'clear all marks'},
  {command: 'devices.update', scope: 'devices', keys: [k('u')], help: 'update the marked devices (or this one): pick firmware, confirm', hint: 'update', mutates: true},
  {command: 'devices.pin', scope: 'devices', keys: [k('P')], help: 'pin or unpin the marked devices (or this one): pinned ones are never in an automatic rollout', mutates: true},
  {command: 'devices.forget', scope: 'devices', keys: [k('D')], help: 'forget the device: clear its retained topics (asks first)', hint: 'forget', mutates: true},

  {command: 'devices.clearFilter', scope: 'filter', keys: [special('escape')], help: 'clear the filter', hint: 'clear filter'},

  {command: 'nav.back', scope: 'detail', keys: [special('escape')], help: 'back to the list', hint: 'back'},
  {command: 'devices.update', scope: 'device', keys: [k('u')], help: 'update this device: pick firmware, confirm', hint: 'update', mutates: true},
  {command: 'devices.pin', scope: 'device', keys: [k('P')], help: 'pin or unpin this device (left out of automatic rollouts)', hint: 'pin', mutates: true},

  {command: 'nav.open', scope: 'firmware', keys: [special('return')], help: 'firmware detail', hint: 'detail'},
  {command: 'firmware.edit', scope: 'firmware', keys: [k('e')], help: 'edit the description', hint: 'describe', mutates: true},
  {command: 'firmware.arm', scope: 'firmware', keys: [k('a')], help: 'automatic rollout of this firmware name: arm or disarm, canary, devices at a time, failures, window', hint: 'auto', mutates: true},
  {command: 'firmware.delete', scope: 'firmware', keys: [k('D')], help: 'delete the firmware file (asks first)', hint: 'delete', mutates: true},

  {command: 'nav.open', scope: 'queue', keys: [special('return')], help: 'the job\'s timeline, or the rollout in full (every note whole)', hint: 'open'},
  {command: 'queue.cancel', scope: 'queue', keys: [k('c')], help: 'cancel the job before it reaches the device, or the rollout on the line (asks first)', hint: 'cancel', mutates: true},
  {command: 'queue.retry', scope: 'queue', keys: [k('r')], help: 'retry a failed or cancelled job (a new attempt)', hint: 'retry', mutates: true},
  {command: 'queue.pause', scope: 'queue', keys: [k('p')], help: 'pause or resume the rollout (of the line, or of the job)', hint: 'pause', mutates: true},
  {command: 'queue.dismiss', scope: 'queue', keys: [k('d')], help: 'dismiss a rollout that has ended (its jobs stay)', mutates: true},
  {command: 'queue.toggleFinished', scope: 'queue', keys: [k('x')], help: 'hide or show finished jobs (each device keeps its history)', hint: 'hide/show finished'},

  {command: 'nav.open', scope: 'log', keys: [special('return')], help: 'the line under the cursor, whole (wrapped)', hint: 'read'},
  {command: 'log.wrap', scope: 'log', keys: [k('w')], help: 'wrap long lines, or cut them at the edge (toggle)', hint: 'wrap'},
  {command: 'log.follow', scope: 'log', keys: [k('f')], help: 'follow new lines (on by default; moving stops it)', hint: 'follow'},
  {command: 'log.level', scope: 'log', keys: [k('l')], help: 'cycle the level shown: all, info+, warnings+, errors'},

  {command: 'dialog.confirm', scope: 'dialog', keys: [k('y'), special('return')], help: 'confirm'},
  {command: 'dialog.cancel', scope: 'dialog', keys: [k('n'), special('escape')], help: 'cancel'},

  {command: 'help.close', scope: 'help', keys: [special('escape'), k('?')], help: 'close the help (the list keys scroll it)', hint: 'close'},
];

/** The key event as Ink reports it (a subset of ink's Key). */
export interface InkKey {
  upArrow?: boolean; downArrow?: boolean; leftArrow?: boolean; rightArrow?: boolean;
  pageUp?: boolean; pageDown?: boolean; home?: boolean; end?: boolean;
  return?: boolean; escape?: boolean; tab?: boolean; shift?: boolean; ctrl?: boolean;
  backspace?: boolean; delete?: boolean; meta?: boolean;
}

export function matches(spec: KeySpec, input: string, key: InkKey): boolean {
  if (spec.key) {
    switch (spec.key) {
      case 'up': return Boolean(key.upArrow);
      case 'down': return Boolean(key.downArrow);
      case 'left': return Boolean(key.leftArrow);
      case 'right': return Boolean(key.rightArrow);
      case 'pageUp': return Boolean(key.pageUp);
      case 'pageDown': return Boolean(key.pageDown);
      case 'home': return Boolean(key.home);
      case 'end': return Boolean(key.end);
      case 'return': return Boolean(key.return);
      case 'escape': return Boolean(key.escape);
      case 'tab': return Boolean(key.tab) && !key.shift;
      case 'shiftTab': return Boolean(key.tab) && Boolean(key.shift);
      case 'space': return input === ' ' && !key.ctrl;
      case 'backspace': return Boolean(key.backspace);
      case 'delete': return Boolean(key.delete);
    }
  }
  if (spec.ctrl) return Boolean(key.ctrl) && input === spec.input;
  return !key.ctrl && !key.meta && input === spec.input;
}

/**
 * The command for a key in the given scopes (searched in order), or undefined. In read-only mode
 * commands that change something are not returned.
 */
export function commandFor(scopes: readonly Scope[], input: string, key: InkKey, readonly = false): Command | undefined {
  for (const scope of scopes) {
    for (const binding of BINDINGS) {
      if (binding.scope !== scope) continue;
      if (binding.keys.some(spec => matches(spec, input, key))) {
        return readonly && binding.mutates ? undefined : binding.command;
      }
    }
  }
  return undefined;
}

/** True when the key is bound to a mutating command in these scopes (to tell the user it is refused). */
export function isRefusedInReadonly(scopes: readonly Scope[], input: string, key: InkKey): boolean {
  return BINDINGS.some(b => scopes.includes(b.scope) && b.mutates && b.keys.some(spec => matches(spec, input, key)));
}

const SPECIAL_LABEL: Record<SpecialKey, string> = {
  up: '↑', down: '↓', left: '←', right: '→', pageUp: 'PgUp', pageDown: 'PgDn', home: 'Home', end: 'End',
  return: 'Enter', escape: 'Esc', tab: 'Tab', shiftTab: 'Shift+Tab', space: 'Space', backspace: 'Backspace', delete: 'Del',
};

export function keyLabel(spec: KeySpec): string {
  if (spec.key) return SPECIAL_LABEL[spec.key];
  if (spec.ctrl) return `Ctrl+${spec.input!.toUpperCase()}`;
  return spec.input!;
}

export interface Hint {
  readonly command: Command;
  readonly keys: string;
  readonly label: string;
}

/** Footer hints for these scopes (mutating ones left out in read-only mode). */
export function hintsFor(scopes: readonly Scope[], readonly: boolean): Hint[] {
  const hints: Hint[] = [];
  for (const scope of scopes) {
    for (const b of BINDINGS) {
      if (b.scope !== scope || !b.hint || (readonly && b.mutates)) continue;
      const keys = b.command === 'nav.down' ? 'j/k' : keyLabel(b.keys[0]!);
      hints.push({command: b.command, keys, label: b.hint});
    }
  }
  return hints;
}

/** Help overlay rows for these scopes: every binding, with all its keys. */
export function helpRows(scopes: readonly Scope[], readonly: boolean): Array<{scope: Scope; keys: string; help: string}> {
  return BINDINGS.filter(b => scopes.includes(b.scope) && !(readonly && b.mutates)).map(b => ({
    scope: b.scope,
    keys: b.keys.map(keyLabel).join(' '),
    help: b.help,
  }));
}
