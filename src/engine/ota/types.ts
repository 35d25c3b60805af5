/**
 * A rollout: "update every device that runs firmware X (or matches a filter) to version Y" — a canary
 * device first, then the rest under the concurrency limit, stopping after `maxFailures` failures.
 */
export interface Rollout {
  readonly id: string;
  readonly firmware: {readonly name: string; readonly version: string};
  /** what the user asked for, in words: "devices running relay", "filter fw:relay state:ready" */
  readonly scope: string;
  /** done: every device has an outcome (which may be failed, skipped or cancelled: see counts) */
  readonly state: 'running' | 'paused' | 'stopped' | 'done' | 'cancelled';
  readonly canaryJobId?: string;
  readonly maxFailures: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** when it stopped, finished or was cancelled */
  readonly endedAt?: number;
  /** why it stopped or was cancelled */
  readonly reason?: string;
  /** the outcomes so far, each device counted once by its newest attempt (rollout-counts.ts) */
  readonly counts: RolloutCounts;
  /** at most this many of its devices in a transfer at once (under OTA_CONCURRENCY); unset: only the global limit */
  readonly concurrency?: number;
  /** local time of day its devices may start in ("02:00"–"05:00", may cross midnight); unset: any time */
  readonly window?: RolloutWindow;
  /** set when an automatic rollout policy started it: what started it */
  readonly auto?: RolloutTrigger;
}

/** A daily local-time window, "HH:MM" each; start after end crosses midnight. */
export interface RolloutWindow {
  readonly start: string;
  readonly end: string;
}

/** What started an automatic rollout: the filed file and how it arrived. */
export interface RolloutTrigger {
  /** the armed firmware name */
  readonly policy: string;
  /** the stored file, e.g. relay-1.0.2.bin */
  readonly file: string;
  /** drop (the firmware folder), upload (POST /upload), watch (a WATCH build output), start (found at start) */
  readonly via: 'drop' | 'upload' | 'watch' | 'start';
  /** where it came from: the dropped or uploaded name, or the build file's path */
  readonly source: string;
}

/** How many devices a rollout has, and how many ended in each way. */
export interface RolloutCounts {
  readonly devices: number;
  /** flashed and verified: the device came back running the target version */
  readonly done: number;
  /** already ran the target (nothing sent) */
  readonly skipped: number;
  readonly cancelled: number;
  readonly failed: number;
}

/** One line of a device's OTA history. */
export interface HistoryEntry {
  readonly jobId: string;
  readonly time: number;
  /** "relay 1.0.0" */
  readonly from: string;
  readonly to: string;
  readonly result: 'done' | 'failed' | 'cancelled' | 'skipped';
  readonly durationMs?: number;
  readonly error?: string;
}

/** How long each wait may last before a job fails with a reason (ms). */
export interface OtaTimings {
  /** from the push to the device's first answer (202, 304, 403, 400) */
  readonly pushAnswer: number;
  /** between two progress messages while flashing */
  readonly progressStall: number;
  /** from the end of flashing to the device reporting ready again */
  readonly reboot: number;
  /** Homie 1.x: from `$ota` to the device's HTTP request */
  readonly v1Request: number;
  /** after the device is back on the old version: how long to wait for its attributes to settle */
  readonly verifyGrace: number;
  /** ESP32: how long after success to check again for a silent rollback */
  readonly esp32Recheck: number;
}

export const DEFAULT_TIMINGS: OtaTimings = {
  pushAnswer: 60_000,
  progressStall: 60_000,
  reboot: 180_000,
  v1Request: 180_000,
  verifyGrace: 20_000,
  esp32Recheck: 300_000,
};
