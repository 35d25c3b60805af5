/**
 * Homie 5 `$description`: a JSON document with the Homie version, name and nodes. It is untrusted:
 * anything that is not the expected shape is dropped, counts are capped, and a document that does
 * not parse is reported as an error instead of breaking the device.
 */
import {CUT_MARK, MAX_DOCUMENT_LENGTH} from './limits.js';

export interface DescribedProperty {
  readonly id: string;
  readonly name?: string;
  readonly datatype?: string;
  readonly format?: string;
  readonly unit?: string;
  readonly settable?: boolean;
  readonly retained?: boolean;
}

export interface DescribedNode {
  readonly id: string;
  readonly name?: string;
  readonly type?: string;
  readonly properties: readonly DescribedProperty[];
}

export interface Description {
  /** "5.0" … */
  readonly homie?: string;
  readonly version?: number;
  readonly name?: string;
  readonly type?: string;
  readonly root?: string;
  readonly parent?: string;
  readonly children: readonly string[];
  readonly extensions: readonly string[];
  readonly nodes: readonly DescribedNode[];
  /** why the document could not be read, when it could not */
  readonly error?: string;
}

const MAX_NODES = 64;
const MAX_PROPERTIES = 64;
const MAX_LIST = 256;

const str = (value: unknown, max = 256): string | undefined => (typeof value === 'string' ? value.slice(0, max) : typeof value === 'number' ? String(value) : undefined);
const bool = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseDescription(text: string): Description {
  if (text.endsWith(CUT_MARK)) {
    // cut at the limit when it came in: not JSON any more, but the cause is its size
    return {children: [], extensions: [], nodes: [], error: `$description is larger than ${MAX_DOCUMENT_LENGTH / 1024} KiB, the most homie-ota keeps of one; its nodes and properties are not shown`};
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return {children: [], extensions: [], nodes: [], error: `$description is not JSON: ${(error as Error).message.slice(0, 120)}`};
  }
  if (!isObject(doc)) return {children: [], extensions: [], nodes: [], error: '$description is not a JSON object'};
  const nodes: DescribedNode[] = [];
  if (isObject(doc.nodes)) {
    for (const [id, node] of Object.entries(doc.nodes).slice(0, MAX_NODES)) {
      if (!isObject(node)) continue;
      const properties: DescribedProperty[] = [];
      if (isObject(node.properties)) {
        for (const [pid, p] of Object.entries(node.properties).slice(0, MAX_PROPERTIES)) {
          if (!isObject(p)) continue;
          properties.push({
            id: pid.slice(0, 64),
            name: str(p.name),
            datatype: str(p.datatype, 32),
            format: str(p.format, 1024),
            unit: str(p.unit, 32),
            settable: bool(p.settable),
            retained: bool(p.retained),
          });
        }
      }
      nodes.push({id: id.slice(0, 64), name: str(node.name), type: str(node.type), properties});
    }
  }
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.slice(0, MAX_LIST).map(v => str(v)).filter((v): v is string => v !== undefined) : []);
  return {
    homie: str(doc.homie, 16),
    version: typeof doc.version === 'number' && Number.isFinite(doc.version) ? doc.version : undefined,
    name: str(doc.name),
    type: str(doc.type),
    root: str(doc.root, 128),
    parent: str(doc.parent, 128),
    children: list(doc.children),
    extensions: list(doc.extensions),
    nodes,
  };
}
