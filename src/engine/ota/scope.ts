import {isEmptyFilter, matchesFilter, parseFilter} from '../inventory/filter.js';
import type {ScopeResolver} from './jobs-api.js';
import type {DeviceLookup} from './ports.js';

/** The devices a rollout names: those running firmware `from`, or those matching a Devices-view filter. */
export function scopeResolver(inventory: Pick<DeviceLookup, 'list'>): ScopeResolver {
  return ({from, filter}) => {
    const devices = inventory.list();
    if (from) {
      const matching = devices.filter(d => d.fw.name === from);
      return {devices: matching, description: `devices running ${from}`};
    }
    const parsed = parseFilter(filter ?? '');
    if (isEmptyFilter(parsed)) return {error: 'the filter is empty; give terms such as fw:relay state:ready'};
    return {devices: devices.filter(d => matchesFilter(d, parsed)), description: `devices matching "${filter}"`};
  };
}
