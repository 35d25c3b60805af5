import type React from 'react';
import {createContext, useCallback, useContext, useEffect, useLayoutEffect, useMemo, useRef, useState} from 'react';
import {useInput, useStdin} from 'ink';
import {commandFor, isRefusedInReadonly, type Command, type InkKey, type Scope} from './keymap.js';
import {PacedInput} from './input/paced-input.js';

/**
 * One keyboard owner. Components register layers; the provider's single `useInput` turns each key
 * into a command and offers it to the layers, top (highest priority, newest) first:
 * overlays and dialogs (priority > 0), then the global commands, then the active view (priority 0).
 * A modal layer swallows every key it does not handle, except Ctrl+C.
 *
 * Keys come one at a time: the app reads the terminal through a PacedInput, and the provider tells it
 * when a key's render has settled, so each key meets the layers the previous one left mounted.
 */
export interface KeyLayer {
  readonly scopes: readonly Scope[];
  readonly modal?: boolean;
  /** 0 for views; dialogs and overlays above */
  readonly priority?: number;
  /** a text prompt: printable characters are text, so a pasted run of them may come as one input */
  readonly text?: boolean;
  /** return true when the key was handled */
  readonly onKey: (command: Command | undefined, input: string, key: InkKey) => boolean;
}

interface Registered {
  readonly id: number;
  readonly ref: React.MutableRefObject<KeyLayer>;
  readonly scopes: readonly Scope[];
  readonly modal: boolean;
  readonly priority: number;
  readonly text: boolean;
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
  // routing reads the layers mounted now (registered in layout effects, during the commit); the
  // version only redraws what depends on them (footer hints)
  const layersRef = useRef<readonly Registered[]>([]);
  const [version, setVersion] = useState(0);
  const nextId = useRef(1);
  const {stdin, isRawModeSupported} = useStdin();
  const pacer = stdin instanceof PacedInput ? stdin : null;
  // the key the pacer handed out last, once handled: its effect tells the pacer to send the next one
  // (a parent's effects run after its children's, so the whole tree has caught up by then)
  const [handled, setHandled] = useState(0);
  useEffect(() => {
    if (handled > 0) pacer?.settled(handled, {text: byPriority(layersRef.current)[0]?.text});
  }, [handled, pacer]);

  const register = useCallback((entry: Omit<Registered, 'id'>) => {
    const id = nextId.current++;
    layersRef.current = [...layersRef.current, {...entry, id}];
    setVersion(v => v + 1);
    return () => {
      layersRef.current = layersRef.current.filter(layer => layer.id !== id);
      setVersion(v => v + 1);
    };
  }, []);

  const dispatch = (input: string, key: InkKey) => {
    const ordered = byPriority(layersRef.current);
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
    // one key per call: the pacer in front of Ink hands them out one by one
    if (pacer) setHandled(pacer.token);
    dispatch(input, key);
  }, {isActive: isRawModeSupported === true});

  // eslint-disable-next-line react-hooks/exhaustive-deps
  const top = useMemo(() => byPriority(layersRef.current)[0], [version]);
  const api = useMemo<KeyboardApi>(() => ({
    register,
    activeScopes: top?.scopes ?? [],
    modalOpen: Boolean(top?.modal),
  }), [register, top]);
  return <KeyboardContext.Provider value={api}>{children}</KeyboardContext.Provider>;
}

const byPriority = (layers: readonly Registered[]) => [...layers].sort((a, b) => b.priority - a.priority || b.id - a.id);

/** Register a key layer while `isActive`; the handler may change every render. */
export function useKeyLayer(layer: KeyLayer, isActive = true): void {
  const api = useContext(KeyboardContext);
  if (!api) throw new Error('useKeyLayer must be used within <KeyboardProvider>');
  const ref = useRef(layer);
  ref.current = layer;
  const scopesKey = layer.scopes.join(',');
  const {register} = api;
  // a layout effect: the layer routes keys from the commit that mounts it, before any later key
  useLayoutEffect(() => {
    if (!isActive) return;
    return register({ref, scopes: ref.current.scopes, modal: Boolean(layer.modal), priority: layer.priority ?? 0, text: Boolean(layer.text)});
    // re-register when the scopes, modality, priority or text-taking change
  }, [register, isActive, scopesKey, layer.modal, layer.priority, layer.text]);
}

export function useKeyboardState(): {activeScopes: readonly Scope[]; modalOpen: boolean} {
  const api = useContext(KeyboardContext);
  if (!api) throw new Error('useKeyboardState must be used within <KeyboardProvider>');
  return {activeScopes: api.activeScopes, modalOpen: api.modalOpen};
}
