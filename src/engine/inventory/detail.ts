import type {DeviceEntry} from './device.js';
import {MAX_TOPICS_PER_DEVICE} from './limits.js';
import {parseBoolean} from './payload.js';
import type {DeviceDetail, DeviceRecord, NodeDetail, PropertyDetail} from './types.js';

const MAX_NODES = 64;
const MAX_PROPERTIES = 64;
/** a v2 range like led[1-300] must not expand into thousands of properties */
const MAX_RANGE = 64;

/** Every attribute, the stats, and the nodes with their properties (GET /api/devices/<id>, the detail view). */
export function buildDetail(entry: DeviceEntry, record: DeviceRecord): DeviceDetail {
  const attributes: Record<string, string> = {};
  const stats: Record<string, string> = {};
  for (const [path, value] of entry.topics) {
    if (!path.startsWith('$')) continue;
    attributes[path] = value;
    if (path.startsWith('$stats/')) stats[path.slice(7)] = value;
  }
  if (entry.topics.has('$signal') && !('signal' in stats)) stats.signal = entry.topics.get('$signal')!;
  const uptime = entry.topics.get('$uptime/value') ?? entry.topics.get('$uptime');
  if (uptime !== undefined && !('uptime' in stats)) stats.uptime = uptime;

  const problems: string[] = [];
  const description = entry.v5 ? entry.description : null;
  if (description?.error) problems.push(description.error);
  if (entry.dropped > 0) problems.push(`${entry.dropped} topic(s) ignored: more than the ${MAX_TOPICS_PER_DEVICE} kept per device (its state, firmware and OTA attributes are always kept)`);
  const nodes = entry.v5 ? v5Nodes(entry) : legacyNodes(entry);
  return {...record, attributes, stats, nodes, problems};
}

function v5Nodes(entry: DeviceEntry): NodeDetail[] {
  const described = entry.description?.nodes ?? [];
  const nodes: NodeDetail[] = described.slice(0, MAX_NODES).map(node => ({
    id: node.id,
    name: node.name,
    type: node.type,
    properties: node.properties.slice(0, MAX_PROPERTIES).map(p => ({
      ...p,
      value: entry.get(`${node.id}/${p.id}`),
      set: entry.get(`${node.id}/${p.id}/$target`) ?? entry.get(`${node.id}/${p.id}/set`),
    })),
  }));
  // values of nodes or properties the description does not (yet) list are still shown
  return mergeSeen(entry, nodes);
}

function legacyNodes(entry: DeviceEntry): NodeDetail[] {
  const order: string[] = [];
  const types = new Map<string, string>();
  for (const item of splitList(entry.get('$nodes'))) {
    // 1.x "id:type", 3.x "id" or "id[]" (array node)
    const colon = item.indexOf(':');
    const id = (colon >= 0 ? item.slice(0, colon) : item).replace(/\[\]$/, '');
    if (colon >= 0) types.set(id, item.slice(colon + 1));
    if (id && !order.includes(id)) order.push(id);
  }
  // 2.0.0 has no $nodes; any device may publish nodes it does not list
  for (const path of entry.topics.keys()) {
    if (path.startsWith('$')) continue;
    const node = path.slice(0, path.indexOf('/'));
    if (node && !order.includes(node) && order.length < MAX_NODES) order.push(node);
  }
  const nodes: NodeDetail[] = [];
  for (const id of order.slice(0, MAX_NODES)) {
    const properties: PropertyDetail[] = [];
    for (const declared of declaredProperties(entry.get(`${id}/$properties`))) {
      properties.push(legacyProperty(entry, id, declared.id, declared.settable));
    }
    nodes.push({
      id,
      name: entry.get(`${id}/$name`),
      type: entry.get(`${id}/$type`) ?? types.get(id),
      array: entry.get(`${id}/$array`),
      properties,
    });
  }
  return mergeSeen(entry, nodes);
}

function legacyProperty(entry: DeviceEntry, node: string, id: string, settableFromList?: boolean): PropertyDetail {
  const p = `${node}/${id}`;
  return {
    id,
    value: entry.get(p),
    name: entry.get(`${p}/$name`),
    datatype: entry.get(`${p}/$datatype`),
    unit: entry.get(`${p}/$unit`),
    settable: parseBoolean(entry.get(`${p}/$settable`)) ?? settableFromList,
    retained: parseBoolean(entry.get(`${p}/$retained`)),
    format: entry.get(`${p}/$format`),
    set: entry.get(`${p}/set`),
  };
}

/** Add nodes and properties seen only as topics (not declared) so nothing the device sends is hidden. */
function mergeSeen(entry: DeviceEntry, nodes: NodeDetail[]): NodeDetail[] {
  const byId = new Map(nodes.map(n => [n.id, n] as const));
  const extra = new Map<string, Set<string>>();
  for (const path of entry.topics.keys()) {
    if (path.startsWith('$')) continue;
    const slash = path.indexOf('/');
    if (slash <= 0) continue;
    const node = path.slice(0, slash);
    const rest = path.slice(slash + 1);
    const prop = rest.split('/', 1)[0]!;
    if (prop.startsWith('$') || prop === '') continue;
    const known = byId.get(node);
    if (known && known.properties.some(p => p.id === prop)) continue;
    let set = extra.get(node);
    if (!set) {
      if (extra.size + nodes.length >= MAX_NODES) continue;
      extra.set(node, (set = new Set()));
    }
    if (set.size < MAX_PROPERTIES) set.add(prop);
  }
  if (extra.size === 0) return nodes;
  const out = nodes.map(node => {
    const more = extra.get(node.id);
    if (!more) return node;
    extra.delete(node.id);
    return {...node, properties: [...node.properties, ...[...more].map(p => legacyProperty(entry, node.id, p))]};
  });
  for (const [id, props] of extra) {
    out.push({id, name: entry.get(`${id}/$name`), type: entry.get(`${id}/$type`), array: entry.get(`${id}/$array`), properties: [...props].map(p => legacyProperty(entry, id, p))});
  }
  return out;
}

function splitList(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').map(s => s.trim()).filter(s => s.length > 0).slice(0, MAX_NODES);
}

/**
 * `$properties`: 3.x/4.x "a,b,c"; 2.0 "led[1-3]:settable,temp" where a range names led_1 … led_3 and
 * ":settable" marks the property settable.
 */
export function declaredProperties(value: string | undefined): Array<{id: string; settable?: boolean}> {
  const out: Array<{id: string; settable?: boolean}> = [];
  for (const item of splitList(value)) {
    const settable = item.endsWith(':settable') ? true : undefined;
    const name = settable ? item.slice(0, -':settable'.length) : item;
    const range = /^(.+)\[(\d+)-(\d+)\]$/.exec(name);
    if (range) {
      const from = Number(range[2]);
      const to = Math.min(Number(range[3]), from + MAX_RANGE - 1);
      for (let i = from; i <= to && out.length < MAX_PROPERTIES; i++) out.push({id: `${range[1]}_${i}`, settable});
    } else if (out.length < MAX_PROPERTIES) {
      out.push({id: name, settable});
    }
  }
  return out;
}
