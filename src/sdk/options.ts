/** Options of `work(options, fn)`. */
export interface WorkOptions {
  /** Unique name the worker finds the function by; default the function's own name. */
  name?: string;
  /** Resolve `map()` and multi-job calls to a MapResult instead of a list. */
  mapResults?: boolean;
  /** Attempts per job before it counts as failed (default 3; system failures such as a lost pilot do not count). */
  maxAttempts?: number;
  /** Queue to run on; default the workflow's queue. */
  queue?: string;
  /** Dispatch priority among queued jobs (-1000..1000, default 0; higher first). */
  priority?: number;
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
  /** Remote mode (`submit()`): queue of the driver task; default the workflow's queue. */
  driverQueue?: string;
}
