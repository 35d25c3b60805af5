import {createContext, useContext} from 'react';

export type ViewId = 'devices' | 'firmware' | 'queue' | 'log';

export const NavigationContext = createContext<(view: ViewId) => void>(() => {});

/** Switch the dashboard to another view (e.g. to the Queue after starting an update). */
export function useNavigate(): (view: ViewId) => void {
  return useContext(NavigationContext);
}
