// The executor pool's two sides: what it needs of an executor (a process, ExecutorHandle, in a pilot; a
// function call, InProcessExecutor, in the pool's unit tests), and what it tells the pilot of its jobs.
import type { ErrorInfo } from "../core/errors.js";
import type { AttemptRef, DispatchedJob } from "../core/dispatch-records.js";
import type { JobDone } from "./executor-protocol.js";
import type { Outcome } from "./ledger.js";

/**
 * What an executor is started for: jobs of the same context (contextKey) share executors. `kind` is
 * "driver" for a driver job's own executor (a warm command's is "warm").
 */
export type ExecutorContext = Pick<DispatchedJob, "owner" | "bundleHash" | "projectHash" | "initEnv" | "container"> & { kind?: string };

export interface Executor {
  /**
   * The contextKey of the jobs it runs. Set again only when a pilot adopts an executor its run started before
   * the run's user had an id (PrewarmedExecutor).
   */
  key: string;
  readonly bundleHash: string;
  /** It has loaded its bundle and takes jobs; before that it is starting. */
  readonly ready: boolean;
  readonly alive: boolean;
  /** Its process, whose tree holds the memory its jobs use (none in-process). */
  readonly pid: number | undefined;
  /** Runs these jobs one at a time, in order, after those it has. */
  run(jobs: DispatchedJob[]): void;
  /** Drops a job it has not started; it answers with a `done` marked `dropped` (nothing if it started). */
  cancelQueued(job: AttemptRef): void;
  /** Ends it and everything it started, at once; `onExit` follows. */
  kill(): void;
}

export interface ExecutorEvents {
  onReady(ex: Executor): void;
  onLoadFailed(ex: Executor, error: ErrorInfo): void;
  onDone(ex: Executor, done: JobDone): void;
  /** It ended; nothing more comes from it. */
  onExit(ex: Executor, reason: string): void;
}

export type StartExecutor = (context: ExecutorContext, events: ExecutorEvents) => Executor;

/** What the pool tells its pilot about the jobs it was given. */
export interface PoolEvents {
  /** Jobs went to an executor's queue. */
  sent(jobs: readonly DispatchedJob[]): void;
  /** A job runs from now (the first of its executor's queue); told again after each job that executor ends. */
  started(job: DispatchedJob): void;
  /** A job sent to an executor is back among the waiting ones without having run. */
  returned(job: DispatchedJob): void;
  /** A job's attempt ended. */
  ended(job: DispatchedJob, outcome: Outcome): void;
  /** The pool is stopping and the job's executor ended with it: not the job's fault, left to the server. */
  abandoned(job: DispatchedJob): void;
  /** Every executor started by warm() for this bundle is ready, or gone. */
  warm(bundleHash: string): void;
}
