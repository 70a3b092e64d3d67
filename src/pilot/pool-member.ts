import type { ErrorInfo } from "../core/errors.js";
import type { AttemptRef, DispatchedJob } from "../core/dispatch-records.js";
import type { Executor, ExecutorContext } from "./executor-interface.js";
import { killedByUser, type Outcome } from "./ledger.js";

export const sameAttempt = (a: AttemptRef, b: AttemptRef): boolean => a.jobId === b.jobId && a.attempt === b.attempt;

/** An executor as the pool keeps it: the jobs it holds, and why the pool killed it. */
export class PoolMember {
  /** Jobs sent to it and not ended: the first runs, the others wait behind it, in order. */
  private held: DispatchedJob[] = [];
  /** When it started or last ended a job. */
  lastBusy = Date.now();
  /** The job it was killed for (a user's kill, a limit): its end is then that job's, not a crash. */
  private killedFor: DispatchedJob | undefined;
  /** Why, when it was not a user's kill (a limit the job went over). */
  private killReason: ErrorInfo | undefined;

  constructor(
    readonly ex: Executor,
    /** What it was started for: its bundle and project archive stay in the cache while it lives. */
    readonly context: ExecutorContext,
  ) {}

  /** The jobs it holds, the running one first. */
  get inflight(): readonly DispatchedJob[] {
    return this.held;
  }

  /** The job it runs now. */
  get current(): DispatchedJob | undefined {
    return this.held[0];
  }

  holds(ref: AttemptRef): boolean {
    return this.held.some((j) => sameAttempt(j, ref));
  }

  /** Jobs sent to it, behind those it holds. */
  hold(jobs: readonly DispatchedJob[]): void {
    this.held.push(...jobs);
  }

  /** Takes a job that ended off its list; undefined if it does not hold it. */
  take(ref: AttemptRef): DispatchedJob | undefined {
    // Jobs end in the order they were sent, so it is the first one nearly always: shift() takes it at no cost
    // where a splice moves the up to a thousand jobs held behind it.
    if (this.held.length > 0 && sameAttempt(this.held[0]!, ref)) return this.held.shift();
    const i = this.held.findIndex((j) => sameAttempt(j, ref));
    return i < 0 ? undefined : this.held.splice(i, 1)[0];
  }

  /** Takes every job off its list (it ended, or the pilot forgets them all). */
  takeAll(): DispatchedJob[] {
    return this.held.splice(0);
  }

  /** Kills the executor; for `job`, its end is that job's (killed by a user, or over a limit: `reason`). */
  end(job?: DispatchedJob, reason?: ErrorInfo): void {
    this.killedFor = job;
    this.killReason = reason;
    this.ex.kill();
  }

  /** How `job` ended if the executor was last killed for it: over a limit, or killed by a user. */
  killedOutcome(job: DispatchedJob): Outcome | undefined {
    if (this.killedFor !== job) return undefined;
    return this.killReason ? { state: "failed", error: this.killReason } : killedByUser();
  }
}

/** How the job an executor ran when it ended on its own ended. */
export const crashed = (reason: string): Outcome => ({ state: "failed", error: { code: "executor_crash", message: reason } });
