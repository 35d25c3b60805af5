/**
 * A typed event bus. Every listener runs inside try/catch, so one faulty consumer (a UI store, the
 * headless printer) cannot break the engine or the other listeners.
 */
export type EventMap = Record<string, unknown[]>;

export class EventBus<E extends EventMap> {
  readonly #listeners = new Map<keyof E, Set<(...args: unknown[]) => void>>();
  readonly #onError: (event: string, error: unknown) => void;

  constructor(onError: (event: string, error: unknown) => void = () => {}) {
    this.#onError = onError;
  }

  /** Subscribe; the returned function unsubscribes. */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    const stored = listener as unknown as (...args: unknown[]) => void;
    set.add(stored);
    return () => set.delete(stored);
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(...(args as unknown[]));
      } catch (error) {
        this.#onError(String(event), error);
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}
