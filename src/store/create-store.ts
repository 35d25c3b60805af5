/**
 * A store that owns time: `markDirty()` may be called thousands of times a second; the snapshot is
 * rebuilt at most every `intervalMs` and listeners are told once per rebuild. `getSnapshot()` returns
 * the same object until the next rebuild, which is what `useSyncExternalStore` needs.
 */
export interface CoalescingStore<S> {
  getSnapshot(): S;
  subscribe(listener: () => void): () => void;
  markDirty(): void;
  /** rebuild now (tests, first frame) */
  flush(): void;
  dispose(): void;
}

export function createCoalescingStore<S>(build: (previous: S | undefined) => S, intervalMs = 100): CoalescingStore<S> {
  let snapshot = build(undefined);
  let timer: NodeJS.Timeout | null = null;
  let lastFlush = 0;
  let disposed = false;
  const listeners = new Set<() => void>();

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (disposed) return;
    lastFlush = Date.now();
    const next = build(snapshot);
    if (next === snapshot) return;
    snapshot = next;
    for (const listener of listeners) listener();
  };

  return {
    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    markDirty() {
      if (timer || disposed) return;
      const wait = Math.max(0, intervalMs - (Date.now() - lastFlush));
      timer = setTimeout(flush, wait);
      timer.unref();
    },
    flush,
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
      listeners.clear();
    },
  };
}
