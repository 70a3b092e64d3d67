import type { DeclaredObjective } from "../core/objective.js";

/** Options of `work(options, fn)`. */
export interface WorkOptions {
  /** Unique name the worker finds the function by; default the function's own name. */
  name?: string;
  /** Resolve `map()` and multi-job calls to a MapResult instead of a list. */
  mapResults?: boolean;
  /** Attempts per job before it counts as failed (default 3; system failures such as a lost pilot do not count). */
  maxAttempts?: number;
  /**
   * Where to run: a queue name (pinned), or a list of queues brokerage may choose from; default the
   * workflow's queue, or any online queue that fits.
   */
  queue?: string | readonly string[];
  /** Dispatch priority among queued jobs (-1000..1000, default 0; higher first). */
  priority?: number;
  /**
   * What the work optimises: `{ name: "auc", direction: "maximize" }`. `name` is the field of an object result
   * that is the objective (a plain number result is labelled with it); the monitor plots that field and calls
   * the lowest (minimize) or highest (maximize) value best. Without it the monitor guesses, and says so.
   */
  objective?: DeclaredObjective;
  /** Cores each job needs (default 1): only queues with at least as many cores per job take the task. */
  cores?: number;
  /** Memory each job needs: MiB as a number, or a size such as "4GiB". Only queues whose window holds it. */
  memory?: number | string;
  /** Walltime each job needs: milliseconds, or "30m", "2h". Only queues whose window holds it. */
  walltime?: number | string;
  /**
   * Shell commands run before the executor starts, as the original's init_env (`source /opt/env.sh`,
   * `module load root`); the work runs with the environment they leave. Default: the workflow's.
   */
  initEnv?: string;
  /** Container image to run the work in, with the pilot host's runtime. Default: the workflow's. */
  container?: string;
  /**
   * Packages to leave out of the bundle and install on workers from the project's lockfile (packages with
   * native code are found by themselves). Read by `pando run file.ts#export`.
   */
  dependencies?: readonly string[];
}

/** Options of `workflow(options, fn)`. */
export interface WorkflowOptions {
  /** Name of the workflow; default the function's own name. */
  name?: string;
  /** false: every work call runs in this process, in input order, with no server (default true). */
  distributed?: boolean;
  /** Default queue of the workflow's tasks. */
  queue?: string;
  /** Seed of context().random(): fixed, runs of the workflow draw the same numbers; default a random seed per run. */
  seed?: number;
  /** Default `initEnv` and `container` of the workflow's work calls. */
  initEnv?: string;
  container?: string;
  /** Packages to install on workers rather than bundle, as WorkOptions.dependencies. */
  dependencies?: readonly string[];
  /** Remote mode (`submit()`): queue of the driver task; default the workflow's queue. */
  driverQueue?: string;
}
