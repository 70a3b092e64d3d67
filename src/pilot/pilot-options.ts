import { tmpdir } from "node:os";
import type { Logger } from "pino";
import type { UnpackLimits } from "../bundle/project-unpack.js";
import type { PrewarmedExecutor } from "./prewarmed-executor.js";
import type { PilotSandbox } from "./sandbox-probe.js";
import type { StartupTiming } from "../core/startup-timing.js";
import type { LinkTransport } from "./server-link.js";

/** Where command works get their working directories: the option, else PANDO_WORK_ROOT, else the system's temporary directory. */
export function workRootOf(workRoot: string | undefined): string {
  return workRoot || process.env.PANDO_WORK_ROOT || tmpdir();
}

/** What a pilot does when its options leave these out. */
export const PILOT_DEFAULTS = {
  maxDepthPerSlot: 1000,
  prefetchTasks: 20,
  warmReplacesIdleMs: 5_000,
  warmExecutors: 16,
  executorIdleMs: 60_000,
  stopGraceMs: 10_000,
  cacheKeepMs: 7 * 24 * 60 * 60_000,
} as const;

export interface PilotOptions {
  server: string;
  token: string;
  queue: string;
  /** Executor processes, i.e. jobs run at once. */
  slots: number;
  /** Where fetched bundles are kept. */
  cacheDir: string;
  /**
   * Code (bundles, environments, project archives) no pilot sharing the cache directory used for this long
   * is removed from it (default 7 days; 0: never).
   */
  cacheKeepMs?: number;
  /** Where command works get their working directories; default PANDO_WORK_ROOT, or the system's temporary directory. */
  workRoot?: string;
  /**
   * Executors its run started for `owner`'s program before this pilot existed, while the run's embedded server
   * was starting: the pilot takes them as executors it warmed (ExecutorPool.adopt).
   */
  prewarmed?: { executors: readonly PrewarmedExecutor[]; owner: number };
  name?: string;
  /** Most jobs held per slot when jobs are fast (default 1000). */
  maxDepthPerSlot?: number;
  /** Most tasks named as fast in one acquire, those it may hold more jobs of than it has free slots (default 20; 0: none). */
  prefetchTasks?: number;
  /**
   * A warm command replaces executors of other bundles only after they ran no job for this long (default
   * 5 s): a workflow between two iterations keeps its executors, code nobody runs any more gives them up.
   */
  warmReplacesIdleMs?: number;
  /**
   * A warm command starts at most this many executors per execution context (default 16, and no more than
   * the slots): an idle executor holds tens of MiB. Jobs that wait start the others, up to the slots.
   */
  warmExecutors?: number;
  /** Executors beyond the warm count of their context that ran no job for this long end (default 60 s; 0: never). */
  executorIdleMs?: number;
  /** How long a stopping pilot lets running jobs finish (default 10 s). */
  stopGraceMs?: number;
  /** Leaves after holding no job for this long (a provisioned pilot frees its slot); default never. */
  idleExitMs?: number;
  /** The provisioner's worker this pilot is, if it started it. */
  worker?: number;
  /**
   * Told when every executor this pilot started for a warm command (PilotCommand "warm") of a bundle is
   * ready, or could not start: `pando run` waits for its local pilots this way before its driver runs.
   */
  onWarm?: (bundleHash: string) => void;
  /** Told when steps of its start-up and of its executors' end (`pando run --timings`); default: nobody. */
  onTiming?: (timing: StartupTiming) => void;
  /** The bubblewrap sandbox executors run in, as pilotSandbox() decided it; undefined: none (warned of there). */
  sandbox: PilotSandbox | undefined;
  /** What the pilot accepts of a project archive (default: 1 GiB of files, 100,000 entries). */
  projectLimits?: UnpackLimits;
  log: Logger;
  /** Requests to the server go through this instead of HTTP (a pilot in the server's own process). */
  transport?: LinkTransport;
}

/** How the pilot's executor pool is sized and kept, from its options and the defaults. */
export function poolSettings(options: PilotOptions) {
  return {
    maxDepthPerSlot: options.maxDepthPerSlot ?? PILOT_DEFAULTS.maxDepthPerSlot,
    warmReplacesIdleMs: options.warmReplacesIdleMs ?? PILOT_DEFAULTS.warmReplacesIdleMs,
    warmExecutors: options.warmExecutors ?? PILOT_DEFAULTS.warmExecutors,
    executorIdleMs: options.executorIdleMs ?? PILOT_DEFAULTS.executorIdleMs,
  };
}
