import {createContext, useContext} from 'react';

export type SayTone = 'info' | 'warn' | 'error';

/** Show a short message in the footer at once (why a key did nothing, what it did). */
export const SayContext = createContext<(text: string, tone?: SayTone) => void>(() => {});

export function useSay(): (text: string, tone?: SayTone) => void {
  return useContext(SayContext);
}
