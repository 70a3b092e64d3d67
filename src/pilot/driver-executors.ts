import type { ErrorInfo } from "../core/errors.js";
import type { AttemptRef, DispatchedJob } from "../core/dispatch-records.js";
import type { Executor, ExecutorContext, ExecutorEvents, PoolEvents, StartExecutor } from "./executor-interface.js";
import type { JobDone } from "./executor-protocol.js";
import type { LimitsWatcher } from "./limits-watcher.js";
import { crashed, PoolMember } from "./pool-member.js";

/**
 * The executors of driver jobs: one each, started at once, outside the slots (a driver mostly waits for
 * its work calls), ended with their job.
 */
export class DriverExecutors implements ExecutorEvents {
  private readonly members = new Map<Executor, PoolMember>();

  constructor(
    private readonly start: StartExecutor,
    private readonly events: Pick<PoolEvents, "started" | "ended" | "abandoned">,
    private readonly limits: LimitsWatcher,
  ) {}

  get count(): number {
    return this.members.size;
  }

  /** The executors' contexts. */
  contexts(): ExecutorContext[] {
    return [...this.members.values()].map((m) => m.context);
  }

  run(job: DispatchedJob): void {
    const m = new PoolMember(this.start(job, this), job);
    // Sent once the executor is ready.
    m.hold([job]);
    this.members.set(m.ex, m);
  }

  /** Kills the driver's executor if it runs this job; false if no driver does. */
  kill(ref: AttemptRef, reason?: ErrorInfo): boolean {
    for (const m of this.members.values()) {
      if (!m.holds(ref)) continue;
      m.end(m.current, reason);
      return true;
    }
    return false;
  }

  onReady(ex: Executor): void {
    const m = this.members.get(ex);
    if (!m) return;
    const job = m.current!;
    ex.run([job]);
    this.events.started(job);
    this.limits.watch(job, ex.pid);
  }

  onLoadFailed(ex: Executor, error: ErrorInfo): void {
    const m = this.members.get(ex);
    if (!m) return;
    this.members.delete(ex);
    m.end();
    this.events.ended(m.current!, { state: "failed", error });
  }

  onDone(ex: Executor, done: JobDone): void {
    const m = this.members.get(ex);
    const job = m?.take(done);
    if (!m || !job) return;
    this.members.delete(ex);
    this.limits.stop(job);
    m.end();
    const { t: _t, ok, dropped: _dropped, jobId: _j, attempt: _a, ...fields } = done;
    this.events.ended(job, { ...fields, state: ok ? "finished" : "failed" });
  }

  onExit(ex: Executor, reason: string): void {
    const m = this.members.get(ex);
    if (!m) return;
    this.members.delete(ex);
    const job = m.current!;
    this.limits.stop(job);
    this.events.ended(job, m.killedOutcome(job) ?? crashed(reason));
  }

  /** Ends every driver without waiting: the server gives them to another pilot, where they pick up where they were. */
  abandonAll(): void {
    for (const m of this.members.values()) {
      this.limits.stop(m.current!);
      this.events.abandoned(m.current!);
      m.end();
    }
    this.members.clear();
  }

  /** Ends every driver, without a word about their jobs. */
  drop(): void {
    for (const m of this.members.values()) m.end();
    this.members.clear();
  }
}
