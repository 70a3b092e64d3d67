// When the steps of a pilot's and its executors' start-up ended, for `pando run --timings`: times are
// milliseconds since the epoch, so that the steps of several processes line up on one clock.

/** An executor's start-up, from the pilot's spawn to its ready message. */
export interface ExecutorStartup {
  /** The pilot spawned it (bwrap, or node itself). */
  spawned: number;
  /** Its Node process started (after bwrap set the sandbox up). */
  processStarted: number;
  /** Its own modules were loaded. */
  loaded: number;
  /** The bundle was imported: its works are registered. */
  bundleImported: number;
  /** The pilot heard it was ready. */
  ready: number;
}

/** What a pilot tells of its start-up: one of its own steps, or an executor's start-up. */
export type StartupTiming = { kind: "pilot"; step: string; at: number } | { kind: "executor"; startup: ExecutorStartup };

