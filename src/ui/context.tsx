import React, {createContext, useContext, useSyncExternalStore} from 'react';
import type {DashboardSnapshot, DashboardStore} from '../store/dashboard-store.js';
import type {DashboardActions} from '../store/actions.js';

const StoreContext = createContext<DashboardStore | null>(null);
const ActionsContext = createContext<DashboardActions | null>(null);

/** What the views read (the store) and the one way they change anything (the actions). */
export function Providers({store, actions, children}: {readonly store: DashboardStore; readonly actions: DashboardActions; readonly children: React.ReactNode}) {
  return (
    <ActionsContext.Provider value={actions}>
      <StoreContext.Provider value={store}>{children}</StoreContext.Provider>
    </ActionsContext.Provider>
  );
}

/** The store itself: for its clock and to ask for a device's detail (views read data through useSnapshot). */
export function useStore(): DashboardStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore must be used within <Providers>');
  return store;
}

/** The current dashboard snapshot (re-renders at most at the store's flush rate). */
export function useSnapshot(): DashboardSnapshot {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/**
 * One value derived from the snapshot: the component re-renders only when it changes (compared with
 * Object.is, so return a string, number or boolean, or an object kept from the snapshot).
 */
export function useSnapshotSelector<T>(select: (snapshot: DashboardSnapshot) => T): T {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, () => select(store.getSnapshot()));
}

/** The actions (forget a device, start a job, …). Views never reach the engine, MQTT or HTTP directly. */
export function useActions(): DashboardActions {
  const actions = useContext(ActionsContext);
  if (!actions) throw new Error('useActions must be used within <Providers>');
  return actions;
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
