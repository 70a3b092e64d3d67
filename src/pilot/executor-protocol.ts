// Messages between a pilot and its executor processes (Node IPC, JSON).
import type { ErrorInfo } from "../core/errors.js";
import type { DispatchedJob } from "../core/dispatch-records.js";
import type { ExecutorStartup } from "../core/startup-timing.js";

export type ToExecutor =
  | { t: "run"; jobs: DispatchedJob[] }
  /** Drop a job that has not started yet. */
  | { t: "cancel"; jobId: number; attempt: number };

export interface JobDone {
  t: "done";
  jobId: number;
  attempt: number;
  ok: boolean;
  result?: string;
  error?: ErrorInfo;
  startedAt: number;
  endedAt: number;
  stdout?: string;
  stderr?: string;
  /** True when the job was dropped before it started (a cancel). */
  dropped?: boolean;
  /** When the pilot traces hops: the job's start and end by the hop trace's clock (core/hop-trace.ts). */
  hops?: [number, number];
}

export type FromExecutor =
  /** Its bundle is loaded; when its start-up steps ended (the pilot adds when it spawned it and heard this). */
  | { t: "ready"; works: string[]; startup?: Omit<ExecutorStartup, "spawned" | "ready"> }
  | { t: "load-failed"; error: ErrorInfo }
  | JobDone
  /** Jobs that ended one right after the other, in the order they ended. */
  | { t: "results"; done: JobDone[] };
