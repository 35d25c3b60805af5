/**
 * The attach stream's encoding: a full state, then patches that say only what changed. Generic over
 * the snapshot's fields: unchanged values are found by identity (the store keeps an unchanged slice
 * the same object), objects are compared field by field, and arrays whose elements carry an identity
 * (`key`, `id` or `seq`) travel as upserts and removals by that identity, with the order only when it
 * cannot be inferred. Anything else changed is sent whole. Patches are plain JSON.
 */
export type Patch =
  | {readonly $set: unknown}
  | {readonly $fields: Readonly<Record<string, Patch>>; readonly $drop?: readonly string[]}
  | {readonly $keyed: KeyedPatch};

export interface KeyedPatch {
  /** the element's identity field */
  readonly by: IdField;
  /** new or changed elements, whole */
  readonly upsert: readonly unknown[];
  readonly remove: ReadonlyArray<string | number>;
  /** the order of every identity, only when upserts-appended-at-the-end does not give it */
  readonly order?: ReadonlyArray<string | number>;
}

type IdField = 'key' | 'id' | 'seq';
const ID_FIELDS: readonly IdField[] = ['key', 'id', 'seq'];
type Id = string | number;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The identity field every element of both arrays has, or null (then the array is sent whole). */
function idFieldOf(a: readonly unknown[], b: readonly unknown[]): IdField | null {
  const sample = b[0] ?? a[0];
  if (!isRecord(sample)) return null;
  const field = ID_FIELDS.find(f => typeof sample[f] === 'string' || typeof sample[f] === 'number');
  if (!field) return null;
  const has = (element: unknown) => isRecord(element) && (typeof element[field] === 'string' || typeof element[field] === 'number');
  return a.every(has) && b.every(has) ? field : null;
}

/** The identities after removing and upserting: kept ones in place, new ones appended in upsert order. */
function inferredOrder(previous: readonly Id[], upserted: readonly Id[], removed: ReadonlySet<Id>): Id[] {
  const known = new Set(previous);
  const order = previous.filter(id => !removed.has(id));
  for (const id of upserted) if (!known.has(id)) order.push(id);
  return order;
}

function diffKeyed(previous: readonly unknown[], next: readonly unknown[], by: IdField): Patch | null {
  const before = new Map<Id, unknown>();
  for (const element of previous) before.set((element as Record<string, Id>)[by]!, element);
  const upsert: unknown[] = [];
  const upsertIds: Id[] = [];
  const nextIds: Id[] = [];
  const present = new Set<Id>();
  for (const element of next) {
    const id = (element as Record<string, Id>)[by]!;
    nextIds.push(id);
    present.add(id);
    if (before.get(id) !== element) {
      upsert.push(element);
      upsertIds.push(id);
    }
  }
  // an identity used twice cannot name one element: such a list travels whole
  if (before.size !== previous.length || present.size !== next.length) return {$set: next};
  const remove = [...before.keys()].filter(id => !present.has(id));
  const inferred = inferredOrder([...before.keys()], upsertIds, new Set(remove));
  const sameOrder = inferred.length === nextIds.length && inferred.every((id, i) => id === nextIds[i]);
  if (upsert.length === 0 && remove.length === 0 && sameOrder) return null;
  return {$keyed: {by, upsert, remove, ...(sameOrder ? {} : {order: nextIds})}};
}

function diffFields(previous: Record<string, unknown>, next: Record<string, unknown>): Patch | null {
  const fields: Record<string, Patch> = {};
  const drop: string[] = [];
  for (const [name, value] of Object.entries(next)) {
    if (value === undefined) {
      if (previous[name] !== undefined) drop.push(name);
      continue;
    }
    const patch = diff(previous[name], value);
    if (patch) fields[name] = patch;
  }
  for (const name of Object.keys(previous)) if (previous[name] !== undefined && !(name in next)) drop.push(name);
  if (Object.keys(fields).length === 0 && drop.length === 0) return null;
  return drop.length > 0 ? {$fields: fields, $drop: drop} : {$fields: fields};
}

/** What turns `previous` into `next`, or null when nothing changed. */
export function diff(previous: unknown, next: unknown): Patch | null {
  if (previous === next) return null;
  if (Array.isArray(previous) && Array.isArray(next)) {
    const by = previous.length > 0 || next.length > 0 ? idFieldOf(previous, next) : null;
    if (by) return diffKeyed(previous, next, by);
    if (previous.length === next.length && previous.every((v, i) => v === next[i])) return null;
    return {$set: next};
  }
  if (isRecord(previous) && isRecord(next)) return diffFields(previous, next);
  return {$set: next};
}

function applyKeyed(previous: unknown, patch: KeyedPatch): unknown[] {
  const list = Array.isArray(previous) ? previous : [];
  const by = patch.by;
  const elements = new Map<Id, unknown>();
  for (const element of list) elements.set((element as Record<string, Id>)[by]!, element);
  const removed = new Set(patch.remove);
  const upsertIds = patch.upsert.map(element => (element as Record<string, Id>)[by]!);
  const order = patch.order ?? inferredOrder([...elements.keys()], upsertIds, removed);
  patch.upsert.forEach((element, i) => elements.set(upsertIds[i]!, element));
  return order.map(id => elements.get(id)).filter(element => element !== undefined);
}

/** `previous` with the patch applied; what the patch does not touch stays the same object. */
export function apply(previous: unknown, patch: Patch): unknown {
  if ('$set' in patch) return patch.$set;
  if ('$keyed' in patch) return applyKeyed(previous, patch.$keyed);
  const base: Record<string, unknown> = isRecord(previous) ? {...previous} : {};
  for (const [name, field] of Object.entries(patch.$fields)) base[name] = apply(base[name], field);
  for (const name of patch.$drop ?? []) delete base[name];
  return base;
}
