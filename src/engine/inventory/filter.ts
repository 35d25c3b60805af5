import type {DeviceRecord} from './types.js';

/**
 * The device filter (TUI `/`, GET /api/devices?filter=): whitespace-separated terms, all of which must
 * match, case-insensitive substrings. A term is plain text (searched in id, name, IP, firmware, version,
 * state, MAC, implementation, prefix, Homie version) or `field:value`; `-term` negates one term; a
 * leading `!` (or the `!` key) inverts the whole filter. Unknown fields are plain text, so a MAC such as
 * `aa:bb` still matches; a term whose unknown field is a word is marked, so the dashboard can say so.
 */
export interface DeviceFilter {
  readonly text: string;
  readonly terms: readonly FilterTerm[];
  readonly invert: boolean;
}

export interface FilterTerm {
  readonly field: FilterField | null;
  readonly value: string;
  readonly negate: boolean;
  /** `foo:bar` where foo is no field: searched as text, but the user likely meant a field */
  readonly unknownField?: string;
}

export type FilterField = 'id' | 'name' | 'ip' | 'fw' | 'version' | 'state' | 'homie' | 'impl' | 'mac' | 'prefix' | 'update' | 'online' | 'confirmed' | 'ota';

const FIELD_ALIASES: Record<string, FilterField> = {
  id: 'id', name: 'name', ip: 'ip', fw: 'fw', firmware: 'fw', version: 'version', ver: 'version', v: 'version',
  state: 'state', homie: 'homie', impl: 'impl', implementation: 'impl', chip: 'impl', mac: 'mac', prefix: 'prefix',
  update: 'update', online: 'online', confirmed: 'confirmed', ota: 'ota',
};

/** The fields without their aliases, in the order of the help. */
export const FILTER_FIELD_NAMES: readonly FilterField[] = [...new Set(Object.values(FIELD_ALIASES))];

export function parseFilter(text: string, invert = false): DeviceFilter {
  let source = text.trim();
  let inverted = invert;
  if (source.startsWith('!')) {
    inverted = !inverted;
    source = source.slice(1).trim();
  }
  const terms: FilterTerm[] = [];
  for (const raw of source.split(/\s+/)) {
    if (!raw) continue;
    let term = raw.toLowerCase();
    let negate = false;
    if (term.length > 1 && term.startsWith('-')) {
      negate = true;
      term = term.slice(1);
    }
    const colon = term.indexOf(':');
    const name = colon > 0 ? term.slice(0, colon) : '';
    const field = name ? FIELD_ALIASES[name] : undefined;
    if (field) terms.push({field, value: term.slice(colon + 1), negate});
    // a word before the colon looks like a field name; a MAC octet (aa:bb) does not
    else if (/^[a-z]+$/.test(name) && !/^[a-f]{2}$/.test(name)) terms.push({field: null, value: term, negate, unknownField: name});
    else terms.push({field: null, value: term, negate});
  }
  return {text, terms, invert: inverted};
}

export function isEmptyFilter(filter: DeviceFilter): boolean {
  return filter.terms.length === 0 && !filter.invert;
}

const haystacks = new WeakMap<DeviceRecord, string>();

/** All searchable text of a record, lowercased once per record (records are immutable). */
function haystack(r: DeviceRecord): string {
  let text = haystacks.get(r);
  if (text === undefined) {
    text = [r.id, r.name, r.ip, r.fw.name, r.fw.version, r.state, r.mac, r.implementation, r.prefix, r.homie].filter(Boolean).join('\u0000').toLowerCase();
    haystacks.set(r, text);
  }
  return text;
}

const YES = new Set(['yes', 'y', 'true', '1', 'on']);

function fieldText(r: DeviceRecord, field: FilterField): string {
  switch (field) {
    case 'id': return r.id;
    case 'name': return r.name ?? '';
    case 'ip': return r.ip ?? '';
    case 'fw': return r.fw.name ?? '';
    case 'version': return r.fw.version ?? '';
    case 'state': return r.state;
    case 'homie': return r.homie;
    case 'impl': return r.implementation ?? '';
    case 'mac': return r.mac ?? '';
    case 'prefix': return r.prefix;
    default: return '';
  }
}

function termMatches(r: DeviceRecord, term: FilterTerm): boolean {
  switch (term.field) {
    case null: return haystack(r).includes(term.value);
    case 'update': return r.updateAvailable === YES.has(term.value);
    case 'online': return r.online === YES.has(term.value);
    case 'confirmed': return r.confirmed === YES.has(term.value);
    case 'ota': return (r.otaEnabled === true) === YES.has(term.value);
    default: return fieldText(r, term.field).toLowerCase().includes(term.value);
  }
}

export function matchesFilter(r: DeviceRecord, filter: DeviceFilter): boolean {
  let all = true;
  for (const term of filter.terms) {
    if (termMatches(r, term) === term.negate) {
      all = false;
      break;
    }
  }
  return all !== filter.invert;
}
