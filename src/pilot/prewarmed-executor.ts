// An executor that a `pando run` starts for its own program before its embedded server listens: the program can
// be bundled and its project unpacked well before the server has started, registered the run's pilots and told
// them to warm, and the executors' start was then the last step of a start. It belongs to no pilot and runs no
// job until a pilot adopts it for the run's user, whose id the server gives; its events are held back until
// then, and its own state (ready, alive) says what it missed.
import { resolve } from "node:path";
import type { Logger } from "pino";
import type { ErrorInfo } from "../core/errors.js";
import type { ExecutorLimits, PrewarmCode } from "../core/local-pilot-start.js";
import type { StartupTiming } from "../core/startup-timing.js";
import { Bundles } from "./bundles.js";
import { contextKey } from "./execution-context.js";
import { processExecutors, type ExecutorSettings } from "./executor-handle.js";
import type { Executor, ExecutorContext, ExecutorEvents, StartExecutor } from "./executor-interface.js";
import type { JobDone } from "./executor-protocol.js";
import { PILOT_DEFAULTS, workRootOf } from "./pilot-options.js";
import { warmTarget } from "./pool-sizing.js";
import type { PilotSandbox } from "./sandbox-probe.js";

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

/** What of a pilot's settings the executors it starts before it knows its server take. */
export interface EarlyPilot {
  name: string;
  slots: number;
  warmExecutors?: number;
  workRoot?: string;
  cacheDir: string;
  sandbox: PilotSandbox | undefined;
  onTiming?: (timing: StartupTiming) => void;
}

/**
 * The settings of executors started before their pilot knows its server: for work jobs only (a driver job's
 * executor, which calls the server, is never prewarmed, and the pilot's token is not known yet), and with the
 * server's data directory hidden although it holds no credentials yet (the server writes them meanwhile).
 */
export function prewarmSettings(pilot: EarlyPilot, limits: ExecutorLimits, dataDir: string): ExecutorSettings {
  return {
    ...limits,
    label: `${pilot.name} executor`,
    serverUrl: "",
    secrets: [],
    workRoot: workRootOf(pilot.workRoot),
    cacheDir: resolve(pilot.cacheDir),
    dataDir: resolve(dataDir),
    sandbox: pilot.sandbox,
    onTiming: pilot.onTiming,
  };
}

/**
 * Starts the executors `pilot` keeps warm, for the code placed in its cache directory beforehand, with the
 * settings of prewarmSettings.
 */
export function prewarmExecutors(pilot: EarlyPilot, code: PrewarmCode, limits: ExecutorLimits, dataDir: string, log: Logger): PrewarmedExecutor[] {
  const count = warmTarget(pilot.slots, pilot.warmExecutors ?? PILOT_DEFAULTS.warmExecutors);
  const settings = prewarmSettings(pilot, limits, dataDir);
  const placed = new Bundles(settings.cacheDir, () => Promise.reject(new Error("prewarmed executors use code placed for them")), log);
  const start = processExecutors(() => settings, undefined, placed, log);
  // The code alone: a pilot process passes the whole request, whose other fields are no part of a context.
  const context = { bundleHash: code.bundleHash, projectHash: code.projectHash };
  return Array.from({ length: count }, () => new PrewarmedExecutor(start, context));
}
