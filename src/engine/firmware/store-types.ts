/** Timings of the watched folder; tests shorten them. */
export interface StoreTuning {
  /** a dropped file must be unchanged this long before it is read (default 2 s) */
  readonly stableMs: number;
  /** …and this long before an unusable one is moved to rejected/ (default 30 s) */
  readonly rejectAfterMs: number;
  /** full rescan interval, for events fs.watch misses (default 30 s) */
  readonly rescanMs: number;
  /** use fs.watch besides the rescan (default true) */
  readonly fsWatch: boolean;
  readonly maxInflated: number;
  /** WATCH: how often the build output patterns are expanded again (default 5 s) */
  readonly watchRescanMs?: number;
}

export interface Outcome {
  readonly time: number;
  readonly level: 'info' | 'warn' | 'error';
  readonly text: string;
}

/** The answer to a change request (delete, describe) for the TUI and the HTTP routes. */
export type ChangeResult = {readonly ok: true; readonly message: string} | {readonly ok: false; readonly status: 403 | 404 | 409 | 500; readonly message: string};

/** How a file came into the store while homie-ota runs. */
export type FiledVia = 'drop' | 'upload' | 'watch';
export interface FiledEvent {
  readonly file: string;
  readonly via: FiledVia;
  /** the name it was dropped or uploaded as, or the build file's path */
  readonly source: string;
}
export type FiledListener = (event: FiledEvent) => void;
