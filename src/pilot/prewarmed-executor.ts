// An executor that a `pando run` starts for its own program before its embedded server listens: the program can
// be bundled and its project unpacked well before the server has started, registered the run's pilots and told
// them to warm, and the executors' start was then the last step of a start. It belongs to no pilot and runs no
// job until a pilot adopts it for the run's user, whose id the server gives; its events are held back until
// then, and its own state (ready, alive) says what it missed.
import type { Logger } from "pino";
import type { ErrorInfo } from "../core/errors.js";
import { Bundles } from "./bundles.js";
import { contextKey } from "./execution-context.js";
import { processExecutors, type ExecutorSettings } from "./executor-handle.js";
import type { Executor, ExecutorContext, ExecutorEvents, StartExecutor } from "./executor-interface.js";
import type { JobDone } from "./executor-protocol.js";

/** The owner of a prewarmed executor until it is adopted: no user has this id, so no job matches it. */
const NO_OWNER = 0;

export class PrewarmedExecutor implements ExecutorEvents {
  readonly executor: Executor;
  private events: ExecutorEvents | undefined;
  private failedToLoad = false;

  constructor(
    start: StartExecutor,
    private readonly context: Omit<ExecutorContext, "owner">,
  ) {
    this.executor = start({ ...context, owner: NO_OWNER }, this);
  }

  /** Alive and its bundle loaded, or loading: worth adopting. */
  get usable(): boolean {
    return this.executor.alive && !this.failedToLoad;
  }

  /** Its context as `owner`'s, whose jobs it runs from now on; its events go to `events`. */
  adopt(owner: number, events: ExecutorEvents): ExecutorContext {
    const context = { ...this.context, owner };
    this.executor.key = contextKey(context);
    this.events = events;
    return context;
  }

  onReady(ex: Executor): void {
    this.events?.onReady(ex);
  }

  onLoadFailed(ex: Executor, error: ErrorInfo): void {
    this.failedToLoad = true;
    this.events?.onLoadFailed(ex, error);
  }

  onDone(ex: Executor, done: JobDone): void {
    this.events?.onDone(ex, done);
  }

  onExit(ex: Executor, reason: string): void {
    this.events?.onExit(ex, reason);
  }
}

/** What prewarmed executors run: the run's bundle, in its pilots' cache directory, in its unpacked project. */
export type PrewarmCode = Pick<ExecutorContext, "bundleHash" | "projectHash">;

/**
 * Starts `count` executors for the code, placed in the cache directory of the settings beforehand, with the
 * settings a pilot of that directory would give them.
 */
export function prewarmExecutors(count: number, code: PrewarmCode, settings: ExecutorSettings, log: Logger): PrewarmedExecutor[] {
  const placed = new Bundles(settings.cacheDir, () => Promise.reject(new Error("prewarmed executors use code placed for them")), log);
  const start = processExecutors(() => settings, undefined, placed, log);
  return Array.from({ length: count }, () => new PrewarmedExecutor(start, code));
}
