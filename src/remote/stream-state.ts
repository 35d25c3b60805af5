import type {DashboardSnapshot} from '../store/dashboard-store.js';

/**
 * The snapshot fields that belong to one dashboard and never travel: its own revision counter, the
 * device it focuses (asked for separately) and how it is attached. Every other field is streamed.
 */
export const LOCAL_FIELDS = ['revision', 'focus', 'attached'] as const;

type LocalField = (typeof LOCAL_FIELDS)[number];

/** What the attach stream carries: the snapshot without its local fields. */
export type StreamState = Omit<DashboardSnapshot, LocalField>;

/** The streamed part of a snapshot (a new top-level object; the slices are the snapshot's own). */
export function streamState(snapshot: DashboardSnapshot): StreamState {
  const state: Record<string, unknown> = {...snapshot};
  for (const field of LOCAL_FIELDS) delete state[field];
  return state as StreamState;
}

/** SSE event names of GET /api/stream. */
export const STREAM_EVENTS = {snapshot: 'snapshot', patch: 'patch'} as const;

/** The `snapshot` event's data: the whole streamed state and who sends it. */
export interface SnapshotEvent {
  readonly version: string;
  readonly state: StreamState;
}
