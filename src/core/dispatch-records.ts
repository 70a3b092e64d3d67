// The records of dispatch and results: what a pilot holds, runs and reports, what it is told, and the final
// outcome a driver receives. Domain types only; their wire schemas live in src/api (pilots.ts, results.ts), and the
// compiler holds the two equal there. Arguments and results are tagged-JSON text (src/codec), exactly as stored.
import type { ErrorInfo } from "./errors.js";
import type { FinalJobState, ReportedAttemptState, ResultVia, TaskKind } from "./states.js";

export type { ResultVia } from "./states.js";

/** One attempt of one job. */
export interface AttemptRef {
  jobId: number;
  attempt: number;
}

/** What a pilot (or the server, for a lost pilot) says of an attempt: it runs, or how it ended. */
export interface AttemptUpdate extends AttemptRef {
  state: ReportedAttemptState;
  startedAt?: number;
  endedAt?: number;
  result?: string;
  error?: ErrorInfo;
  stdout?: string;
  stderr?: string;
}

/** A job handed to a pilot: everything the executor needs to run one attempt. */
export interface DispatchedJob {
  jobId: number;
  attempt: number;
  taskId: number;
  workflowId: number;
  /** The user whose work it is: a warm executor runs the jobs of one user only (execution contexts). */
  owner: number;
  index: number;
  key: string;
  work: string;
  bundleHash: string;
  /** The workflow's project archive (a gzipped tar in the code cache): the job runs in it, unpacked read-only. */
  projectHash?: string;
  args: string;
  /** The task's result channel and key (AES-256-GCM), for publishing sealed results to the broker. */
  channel: string;
  resultKey: string;
  /** "driver": the job runs the workflow's body (with `token`, valid for its workflow only). */
  kind: TaskKind;
  token?: string;
  /** Limits the pilot enforces (0: none): walltime in ms, resident memory of the executor in MiB. */
  walltimeMs: number;
  memoryMb: number;
  /** Where the executor runs: a shell prefix around it, a container image. */
  initEnv?: string;
  container?: string;
}

export type PilotCommand =
  | { kind: "kill"; jobId: number; attempt: number }
  | { kind: "shutdown" }
  /**
   * A workflow or task of this execution context started on the pilot's queue: fetch the bundle and start
   * executors for it in the free slots before its jobs arrive.
   */
  | { kind: "warm"; owner: number; bundleHash: string; projectHash?: string; initEnv?: string; container?: string };

/** One job's final outcome, as delivered to the waiting driver. */
export interface JobOutcome {
  jobId: number;
  index: number;
  key: string;
  state: FinalJobState;
  result?: string;
  error?: ErrorInfo;
  attempts: number;
  startedAt: number | null;
  endedAt: number | null;
  pilot: string | null;
  queue: string;
  via: ResultVia | null;
  /** Position in the task's stream of final states; the results cursor. */
  seq: number;
}
