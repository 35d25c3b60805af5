import {useRef} from 'react';

/**
 * `items`, or the array returned last time when it holds the same items in the same order: a list
 * sliced afresh on every render keeps its identity while its contents do not change, so what is
 * memoised on it is kept too.
 */
export function useSameItems<T>(items: readonly T[]): readonly T[] {
  const kept = useRef(items);
  const last = kept.current;
  if (last !== items && (last.length !== items.length || items.some((item, i) => item !== last[i]))) kept.current = items;
  return kept.current;
}
