// Where SDK calls find the run they belong to. AsyncLocalStorage keeps concurrent workflows in one process
// apart; like the registry it is shared through globalThis by every copy of the SDK in the process.
import { AsyncLocalStorage } from "node:async_hooks";
import type { ResultChannel } from "../bus/result-channel.js";
import type { PandoClient } from "./client.js";

/** A workflow body being run by this process. */
export interface RunContext {
  workflowId: number | null;
  distributed: boolean;
  client: PandoClient | undefined;
  /** Where the run's results arrive (broker or REST). */
  results: ResultChannel | undefined;
  bundleHash: string | undefined;
  /** The project archive the run's tasks run in, if it ships one. */
  projectHash?: string;
  queue: string | undefined;
  /** Sequence number of the next work call (the memo key's position). */
  nextSeq: number;
  /** Sequence number of the next context().step() (and now()). */
  nextStep: number;
  /** Steps recorded by earlier runs of this workflow's driver, read once per run. */
  steps: Promise<Map<number, { name: string; value: string }>> | undefined;
  /** context().random(): seeded per workflow, so every run of the driver draws the same numbers. */
  random: () => number;
  /** Tasks whose every result this driver has received. */
  completeTasks: number[];
  onProgress: ((p: TaskProgress) => void) | undefined;
  /** Told what the user should know while the run goes on (a task waiting for a queue, say). */
  onNotice?: (message: string) => void;
  /** The workflow's defaults for its work calls' execution context. */
  workDefaults?: { initEnv?: string; container?: string };
}

/** A job being run by an executor. */
export interface JobInfo {
  jobId: number;
  taskId: number;
  workflowId: number;
  attempt: number;
  index: number;
  key: string;
}

export interface TaskProgress {
  taskId: number;
  work: string;
  nJobs: number;
  finished: number;
  failed: number;
  done: boolean;
}

interface Contexts {
  run: AsyncLocalStorage<RunContext>;
  job: AsyncLocalStorage<JobInfo>;
}

const KEY = Symbol.for("pando.contexts");

function contexts(): Contexts {
  const g = globalThis as { [KEY]?: Contexts };
  g[KEY] ??= { run: new AsyncLocalStorage(), job: new AsyncLocalStorage() };
  return g[KEY];
}

export function currentRun(): RunContext | undefined {
  return contexts().run.getStore();
}

export function withRun<T>(ctx: RunContext, fn: () => T): T {
  return contexts().run.run(ctx, fn);
}

export function withJob<T>(job: JobInfo, fn: () => T): T {
  return contexts().job.run(job, fn);
}

/** The job this code runs as, inside a work function running on a pilot; undefined elsewhere. */
export function currentJob(): JobInfo | undefined {
  return contexts().job.getStore();
}
