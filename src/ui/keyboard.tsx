import React, {createContext, useCallback, useContext, useEffect, useMemo, useRef, useState} from 'react';
import {useInput, useStdin} from 'ink';
import {commandFor, isRefusedInReadonly, type Command, type InkKey, type Scope} from './keymap.js';

/**
 * One keyboard owner. Components register layers; the provider's single `useInput` turns each key
 * into a command and offers it to the layers, top (highest priority, newest) first:
 * overlays and dialogs (priority > 0), then the global commands, then the active view (priority 0).
 * A modal layer swallows every key it does not handle, except Ctrl+C.
 */
export interface KeyLayer {
  readonly scopes: readonly Scope[];
  readonly modal?: boolean;
  /** 0 for views; dialogs and overlays above */
  readonly priority?: number;
  /** return true when the key was handled */
  readonly onKey: (command: Command | undefined, input: string, key: InkKey) => boolean;
}

interface Registered {
  readonly id: number;
  readonly ref: React.MutableRefObject<KeyLayer>;
  readonly scopes: readonly Scope[];
  readonly modal: boolean;
  readonly priority: number;
}

interface KeyboardApi {
  register(entry: Omit<Registered, 'id'>): () => void;
  /** scopes of the top layer: drives the footer hints */
  readonly activeScopes: readonly Scope[];
  readonly modalOpen: boolean;
}

const KeyboardContext = createContext<KeyboardApi | null>(null);

export interface KeyboardProviderProps {
  readonly readonly: boolean;
  /** global commands (quit, help, view switching); return true when handled */
  readonly onGlobal: (command: Command) => boolean;
  /** called when a key was bound to an action that --readonly refuses */
  readonly onRefused: () => void;
  /** Ctrl+C: quit at once, whatever is open (default: the global quit command) */
  readonly onInterrupt?: () => void;
  readonly children: React.ReactNode;
}

export function KeyboardProvider({readonly, onGlobal, onRefused, onInterrupt, children}: KeyboardProviderProps) {
  const [layers, setLayers] = useState<readonly Registered[]>([]);
  const nextId = useRef(1);
  const layersRef = useRef(layers);
  layersRef.current = layers;
  const {isRawModeSupported} = useStdin();

  const register = useCallback((entry: Omit<Registered, 'id'>) => {
    const id = nextId.current++;
    setLayers(current => [...current, {...entry, id}]);
    return () => setLayers(current => current.filter(layer => layer.id !== id));
  }, []);

  const dispatch = (input: string, key: InkKey) => {
    const ordered = [...layersRef.current].sort((a, b) => b.priority - a.priority || b.id - a.id);
    if (key.ctrl && input === 'c') {
      if (onInterrupt) onInterrupt();
      else onGlobal('app.quit');
      return;
    }
    let globalsTried = false;
    const tryGlobal = () => {
      globalsTried = true;
      const command = commandFor(['global'], input, key, readonly);
      return command ? onGlobal(command) : false;
    };
    for (const layer of ordered) {
      if (layer.priority <= 0 && !globalsTried && tryGlobal()) return;
      const command = commandFor(layer.ref.current.scopes, input, key, readonly);
      if (layer.ref.current.onKey(command, input, key)) return;
      if (layer.modal) return;
    }
    if (!globalsTried && tryGlobal()) return;
    const top = ordered.find(layer => layer.priority <= 0);
    if (readonly && top && isRefusedInReadonly(top.ref.current.scopes, input, key)) onRefused();
  };
  useInput((input, key) => {
    // Ink hands over a burst of keys without escape sequences (fast typing over SSH, tmux send-keys,
    // "jj⏎") as one string: each character is a key of its own. Text prompts (modal layers) get a
    // paste of plain text whole.
    const modalOnTop = layersRef.current.some(layer => layer.modal && layer.priority > 0);
    const plain = /^[\x20-\x7e]+$/.test(input);
    if (input.length > 1 && !key.meta && !input.includes('\u001B') && !(modalOnTop && plain)) {
      for (const ch of input) dispatch(...singleKey(ch));
      return;
    }
    dispatch(input, key);
  }, {isActive: isRawModeSupported === true});

  const top = useMemo(() => [...layers].sort((a, b) => b.priority - a.priority || b.id - a.id)[0], [layers]);
  const api = useMemo<KeyboardApi>(() => ({
    register,
    activeScopes: top?.scopes ?? [],
    modalOpen: Boolean(top?.modal),
  }), [register, top]);
  return <KeyboardContext.Provider value={api}>{children}</KeyboardContext.Provider>;
}

/** One character of a burst as Ink would have reported it alone. */
function singleKey(ch: string): [string, InkKey] {
  const code = ch.charCodeAt(0);
  if (ch === '\r' || ch === '\n') return ['', {return: true}];
  if (ch === '\t') return ['', {tab: true}];
  if (code === 0x7f || code === 0x08) return ['', {backspace: true}];
  if (code > 0 && code < 0x20) return [String.fromCharCode(code + 0x60), {ctrl: true}];
  return [ch, {shift: ch !== ch.toLowerCase()}];
}

/** Register a key layer while `isActive`; the handler may change every render. */
export function useKeyLayer(layer: KeyLayer, isActive = true): void {
  const api = useContext(KeyboardContext);
  if (!api) throw new Error('useKeyLayer must be used within <KeyboardProvider>');
  const ref = useRef(layer);
  ref.current = layer;
  const scopesKey = layer.scopes.join(',');
  const {register} = api;
  useEffect(() => {
    if (!isActive) return;
    return register({ref, scopes: ref.current.scopes, modal: Boolean(layer.modal), priority: layer.priority ?? 0});
    // re-register when the scopes, modality or priority change
  }, [register, isActive, scopesKey, layer.modal, layer.priority]);
}

export function useKeyboardState(): {activeScopes: readonly Scope[]; modalOpen: boolean} {
  const api = useContext(KeyboardContext);
  if (!api) throw new Error('useKeyboardState must be used within <KeyboardProvider>');
  return {activeScopes: api.activeScopes, modalOpen: api.modalOpen};
}
