import type {Notice} from '../engine/events.js';
import type {Job} from '../engine/ota/job.js';
import type {Rollout} from '../engine/ota/types.js';

/** What an action did, or why it did nothing, in words for the user. */
export interface ActionOutcome {
  readonly ok: boolean;
  readonly message: string;
}

/** `u`: update these devices to this firmware, as a rollout with a canary when asked. */
export interface UpdateRequest {
  readonly deviceKeys: readonly string[];
  readonly firmware: {readonly name: string; readonly version: string};
  readonly rollout?: {readonly scope: string; readonly canary: boolean; readonly maxFailures: number};
}

export interface UpdateOutcome {
  readonly jobs: readonly Job[];
  readonly skipped: ReadonlyArray<{readonly deviceKey: string; readonly reason: string}>;
  readonly refused: ReadonlyArray<{readonly deviceKey: string; readonly reason: string}>;
  readonly rollout?: Rollout;
  /** when nothing could be done at all */
  readonly error?: string;
}

/** Rollout settings of an armed name as sent (the window as "02:00-05:00" or null); fields left out keep theirs. */
export interface PolicySettingsInput {
  readonly canary?: boolean;
  readonly concurrency?: number;
  readonly maxFailures?: number;
  readonly outdatedOnly?: boolean;
  readonly onlineOnly?: boolean;
  readonly window?: string | null;
}

export type RolloutState = 'paused' | 'running' | 'cancelled';

/**
 * Everything the views may ask of homie-ota: the one way they change anything. Each answer is a
 * promise, so an instance reached over the network fits the same interface; it rejects only when the
 * instance could not be asked at all. What changes shows up in the store's next snapshot.
 */
export interface DashboardActions {
  createUpdate(request: UpdateRequest): Promise<UpdateOutcome>;
  cancelJob(id: string): Promise<ActionOutcome>;
  retryJob(id: string): Promise<ActionOutcome>;
  setRolloutState(id: string, state: RolloutState): Promise<ActionOutcome>;
  dismissRollout(id: string): Promise<ActionOutcome>;
  setFirmwareDescription(name: string, version: string, text: string): Promise<ActionOutcome>;
  deleteFirmware(name: string, version: string): Promise<ActionOutcome>;
  /** clears the device's retained topics; says so at once (a notice), and again when done or refused */
  forgetDevice(key: string): Promise<ActionOutcome>;
  /** `a`: arm a firmware name for automatic rollouts, or change its settings (PUT /api/policies/<name>) */
  armPolicy(name: string, settings: PolicySettingsInput): Promise<ActionOutcome>;
  /** `a`, armed unticked: new versions of the name no longer roll out by themselves (DELETE /api/policies/<name>) */
  disarmPolicy(name: string): Promise<ActionOutcome>;
  /** `P`: pin or unpin devices: pinned ones are never in an automatic rollout (POST/DELETE /api/devices/<id>/pin) */
  setPinned(keys: readonly string[], pinned: boolean): Promise<ActionOutcome>;
  /** a line in homie-ota's log that the footer shows too (what a key did, keys dropped) */
  notice(area: string, level: Notice['level'], text: string): Promise<void>;
}
