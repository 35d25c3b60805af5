import React, {createContext, useContext, useSyncExternalStore} from 'react';
import type {DashboardSnapshot, DashboardStore} from '../store/dashboard-store.js';
import type {Engine} from '../engine/engine.js';

const StoreContext = createContext<DashboardStore | null>(null);
const EngineContext = createContext<Engine | null>(null);

export function Providers({store, engine, children}: {readonly store: DashboardStore; readonly engine: Engine; readonly children: React.ReactNode}) {
  return (
    <EngineContext.Provider value={engine}>
      <StoreContext.Provider value={store}>{children}</StoreContext.Provider>
    </EngineContext.Provider>
  );
}

/** The current dashboard snapshot (re-renders at most at the store's flush rate). */
export function useSnapshot(): DashboardSnapshot {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useSnapshot must be used within <Providers>');
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/** The engine, for actions (forget a device, start a job). Views never reach MQTT or HTTP directly. */
export function useEngine(): Engine {
  const engine = useContext(EngineContext);
  if (!engine) throw new Error('useEngine must be used within <Providers>');
  return engine;
}

const PersistentStateContext = createContext<Map<string, unknown> | null>(null);

export function PersistentStateProvider({children}: {readonly children: React.ReactNode}) {
  const [map] = React.useState(() => new Map<string, unknown>());
  return <PersistentStateContext.Provider value={map}>{children}</PersistentStateContext.Provider>;
}

/**
 * useState whose value outlives the component: views are unmounted when another view is shown (so a
 * hidden view costs nothing), yet keep their cursor, sort and filter when the user comes back.
 */
export function usePersistentState<T>(key: string, initial: T | (() => T)): [T, (update: T | ((previous: T) => T)) => void] {
  const map = useContext(PersistentStateContext);
  if (!map) throw new Error('usePersistentState must be used within <PersistentStateProvider>');
  const [value, setValue] = React.useState<T>(() => {
    if (map.has(key)) return map.get(key) as T;
    const first = typeof initial === 'function' ? (initial as () => T)() : initial;
    map.set(key, first);
    return first;
  });
  const set = React.useCallback((update: T | ((previous: T) => T)) => {
    setValue(previous => {
      const next = typeof update === 'function' ? (update as (p: T) => T)(previous) : update;
      map.set(key, next);
      return next;
    });
  }, [key, map]);
  return [value, set];
}
