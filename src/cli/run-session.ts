// What one `pando run` shares between its steps: its flags, what it runs, where, and how it is going.
import type { PandoClient } from "../sdk/client.js";
import type { Embedded } from "./embedded.js";
import type { Progress } from "./progress.js";
import type { RunTimings } from "./run-timings.js";
import type { ClientSecurityFlags } from "./client-options.js";
import type { ServerFlags } from "./server-options.js";

export interface RunFlags extends ServerFlags, ClientSecurityFlags {
  server?: string;
  token?: string;
  pilots?: number;
  slots?: number;
  /** The embedded server's pilots run as child processes, not in this process (their executors do either way). */
  pilotProcesses?: boolean;
  queue?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  remote?: boolean;
  detach?: boolean;
  resume?: number;
  /** How long the embedded driver waits for its pilots' executors to be warm; 0: not at all. */
  warmWait?: number;
  /** What of the project directory ships (--project-*); project false: nothing (--no-project). */
  projectExclude?: string[];
  projectInclude?: string[];
  projectMaxSize?: number;
  project?: boolean;
  /** Print when each step of the run's start-up and end was over (also PANDO_TIMINGS=1). */
  timings?: boolean;
}

/** What `pando run file.ts[#export] [args…]` names: the program, the workflow to call and its arguments. */
export interface RunTarget {
  /** The target as given, `file.ts` or `file.ts#export`. */
  target: string;
  file: string;
  /** The workflow to call; undefined: the module's own top-level code runs. */
  exportName: string | undefined;
  /** The arguments as given, and as the workflow gets them (each parsed as JSON when it is JSON). */
  rawArgs: readonly string[];
  args: unknown[];
  /** The server to use; undefined: an embedded one. */
  serverUrl: string | undefined;
}

/** Waits until every workflow this program started has ended. */
export interface RunTracker {
  start(id: number): void;
  /** Calls `listener` with each workflow that starts from now on. */
  onStart(listener: (id: number) => void): void;
  end(id: number): void;
  settled(): Promise<void>;
  active(): number[];
}

/** One run: what it runs, on which server, and what it has seen so far. */
export interface RunSession {
  readonly target: RunTarget;
  readonly flags: RunFlags;
  readonly progress: Progress;
  readonly client: PandoClient;
  /** The server started for this run, when no --server was given. */
  readonly embedded: Embedded | undefined;
  readonly runs: RunTracker;
  readonly timings: RunTimings;
  /** Failed once a workflow of the run ended other than finished or subfinished. */
  outcome: "ok" | "failed";
  workflowsCalled: number;
  /**
   * A driver whose workflow was killed or suspended ends without its body, which may still be busy: the
   * process exits once this command is done instead of waiting for it.
   */
  abandonedBody: boolean;
}

export function runTracker(): RunTracker {
  const active = new Set<number>();
  const listeners: Array<(id: number) => void> = [];
  let idle: (() => void) | undefined;
  return {
    start: (id) => {
      active.add(id);
      for (const listener of listeners) listener(id);
    },
    onStart: (listener) => void listeners.push(listener),
    end: (id) => {
      active.delete(id);
      if (active.size === 0) idle?.();
    },
    settled: () => (active.size === 0 ? Promise.resolve() : new Promise<void>((r) => (idle = r))),
    active: () => [...active],
  };
}

/** The exit code of a run that went to its end: 1 if one of its workflows did not finish. */
export function exitCodeOf(run: RunSession): number {
  return run.outcome === "ok" ? 0 : 1;
}
