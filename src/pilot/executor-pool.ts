import { hopAt } from "../core/hop-trace.js";
import { attemptKey } from "../core/attempt-key.js";
import type { ErrorInfo } from "../core/errors.js";
import type { AttemptRef, DispatchedJob } from "../core/dispatch-records.js";
import { planDispatch, planExecutor } from "./dispatch-plan.js";
import { DriverExecutors } from "./driver-executors.js";
import { contextKey } from "./execution-context.js";
import type { Executor, ExecutorContext, ExecutorEvents, PoolEvents, StartExecutor } from "./executor-interface.js";
import type { JobDone } from "./executor-protocol.js";
import { TaskDepths } from "./job-depth.js";
import { killedByUser } from "./ledger.js";
import { LimitsWatcher } from "./limits-watcher.js";
import { crashed, PoolMember, sameAttempt } from "./pool-member.js";
import { planRetirement, warmTarget } from "./pool-sizing.js";
import type { PrewarmedExecutor } from "./prewarmed-executor.js";

export interface PoolOptions {
  /** Executors of work jobs at once; driver jobs get one each besides. */
  slots: number;
  /** Most jobs held per slot when a task's jobs are fast (TaskDepths). */
  maxDepthPerSlot: number;
  /** warm() replaces executors of other bundles only after they ran no job for this long. */
  warmReplacesIdleMs: number;
  /** A warm command starts at most this many executors per context (and no more than the slots). */
  warmExecutors: number;
  /** Executors beyond the warm count of their context that ran no job for this long are ended; 0: never. */
  executorIdleMs: number;
  start: StartExecutor;
  events: PoolEvents;
}

/** A job waiting for an executor, with its execution context (contextKey) worked out once. */
interface Waiting {
  job: DispatchedJob;
  key: string;
  taskId: number;
}

/** Jobs held per slot cover this much work at their task's recent average duration (TaskDepths). */
const DEPTH_WINDOW_MS = 20;

const waitingOf = (job: DispatchedJob): Waiting => ({ job, key: contextKey(job), taskId: job.taskId });

/**
 * A pilot's executors and the jobs waiting for them: it applies planDispatch, starts, retires and warms
 * executors, and keeps what each executor holds. Driver jobs get executors of their own (DriverExecutors).
 * The pilot hears of its jobs through PoolEvents.
 */
export class ExecutorPool implements ExecutorEvents {
  /** Executors of work jobs, and those retired or dropped until they have ended. */
  private readonly members = new Map<Executor, PoolMember>();
  /** Executors of work jobs, in the order they started (what planDispatch sees). */
  private readonly workers: PoolMember[] = [];
  private readonly drivers: DriverExecutors;
  private waiting: Waiting[] = [];
  /** Jobs being taken back from an executor's queue (not started there) to run on another one. */
  private readonly moving = new Set<string>();
  /** Executors started by warm(), by bundle, until all of them are ready or gone. */
  private readonly warming = new Map<string, Set<Executor>>();
  /** Execution contexts whose executor could not load: their jobs fail at once. */
  private readonly broken = new Map<string, ErrorInfo>();
  /** Kills the executor of a job that runs past its walltime or over its memory. */
  private readonly limits = new LimitsWatcher((job, error) => this.killRunning(job, error));
  /** How many jobs of each task an executor may hold, from their durations. */
  private readonly depths: TaskDepths;
  private dispatchScheduled = false;
  /** When set, the next look for executors idle too long (planRetirement). */
  private retireTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly options: PoolOptions) {
    this.depths = new TaskDepths(DEPTH_WINDOW_MS, options.maxDepthPerSlot);
    this.drivers = new DriverExecutors(options.start, options.events, this.limits);
  }

  private get events(): PoolEvents {
    return this.options.events;
  }

  /** The code the live executors (of work and driver jobs) were started for, and that of the jobs waiting for one: the cache keeps it. */
  codeInUse(): { bundles: Set<string>; projects: Set<string> } {
    const contexts = [...this.workers.map((m) => m.context), ...this.drivers.contexts(), ...this.waiting.map((w) => w.job)];
    return {
      bundles: new Set(contexts.map((c) => c.bundleHash)),
      projects: new Set(contexts.flatMap((c) => (c.projectHash === undefined ? [] : [c.projectHash]))),
    };
  }

  /** Why executors of this context cannot start, if one failed to. */
  brokenReason(key: string): ErrorInfo | undefined {
    return this.broken.get(key);
  }

  get driverCount(): number {
    return this.drivers.count;
  }

  /** Some executor of work jobs holds a job. */
  get busy(): boolean {
    return this.workers.some((m) => m.inflight.length > 0);
  }

  /** A work job to run when an executor is free for it (dispatch() or dispatchSoon() sends it). */
  enqueue(job: DispatchedJob): void {
    this.waiting.push(waitingOf(job));
  }

  /** A driver job runs on an executor of its own, started at once. */
  startDriver(job: DispatchedJob): void {
    this.drivers.run(job);
  }

  /** Drops a job that waits for an executor (nothing if it does not wait). */
  withdraw(ref: AttemptRef): void {
    const i = this.waiting.findIndex((w) => sameAttempt(w.job, ref));
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** Kills a job sent to an executor: the executor if the job runs, its place in the queue otherwise. */
  kill(ref: AttemptRef): void {
    if (this.drivers.kill(ref)) return;
    const m = this.workers.find((x) => x.holds(ref));
    if (!m) return;
    // A job being taken back that is killed ends there, cancelled, rather than going back to waiting.
    this.moving.delete(attemptKey(ref));
    if (sameAttempt(m.current!, ref)) m.end(m.current);
    else m.ex.cancelQueued(ref);
  }

  /** Kills the executor running this job for a limit it went over (nothing if the job does not run). */
  private killRunning(job: DispatchedJob, reason: ErrorInfo): void {
    if (this.drivers.kill(job, reason)) return;
    this.workers.find((m) => m.current === job)?.end(job, reason);
  }

  /**
   * What the pilot asks the server for: up to its slots times the depth of the fast tasks it knows, besides
   * the drivers it runs. The server hands out jobs of any task only for its free slots, and beyond them only
   * jobs of those fast tasks (core/hand-out.ts): jobs of a task it knows nothing of stay on the server for
   * other pilots' free slots.
   */
  demand(prefetchTasks: number): { capacity: number; drivers: number; prefetch: number[] } {
    const drivers = this.drivers.count;
    if (this.stopping) return { capacity: 0, drivers, prefetch: [] };
    const { tasks, depth } = this.depths.prefetch(prefetchTasks);
    return { capacity: this.options.slots * depth + drivers, drivers, prefetch: tasks };
  }

  /**
   * Dispatches once the events at hand are handled: a batch of jobs accepted or ended together costs one
   * plan, not one each.
   */
  dispatchSoon(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  /**
   * Sends waiting jobs to executors of their context as planDispatch decides (idle executors first, new
   * executors for the rest at once while slots are free, queues behind busy executors only for tasks known
   * to be fast), and takes queued jobs back for executors that are idle.
   */
  dispatch(): void {
    if (this.stopping) return;
    // Nothing waits and no executor is idle (to take queued jobs back): nothing to plan.
    if (this.waiting.length === 0 && !this.workers.some((m) => m.ex.ready && m.inflight.length === 0)) return;
    const alive = this.workers.filter((m) => m.ex.alive);
    const plan = planDispatch({
      slots: this.options.slots,
      waiting: this.waiting,
      executors: alive.map((m) => planExecutor(m.ex, m.inflight, this.moving)),
      depthOf: (taskId) => this.depths.depth(taskId),
    });
    for (const i of plan.retire) this.retire(alive[i]!);
    const sent = new Set<number>();
    for (const [i, jobs] of plan.assign) {
      const m = alive[i]!;
      const batch = jobs.map((j) => this.waiting[j]!.job);
      jobs.forEach((j) => sent.add(j));
      const wasIdle = m.inflight.length === 0;
      this.events.sent(batch);
      m.hold(batch);
      m.ex.run(batch);
      if (wasIdle) this.started(m);
    }
    for (const key of plan.start) this.spawn(this.waiting.find((w) => w.key === key)!.job);
    for (const { executor, count } of plan.takeBack) {
      const m = alive[executor]!;
      // From the end of its queue, never the job it runs.
      const queued = m.inflight.slice(1).filter((j) => !this.moving.has(attemptKey(j)));
      for (const job of queued.slice(-count)) {
        this.moving.add(attemptKey(job));
        m.ex.cancelQueued(job);
      }
    }
    // Mostly the first few of many: removed in place, from the last, rather than copying the rest.
    for (const j of [...sent].sort((a, b) => b - a)) this.waiting.splice(j, 1);
  }

  /**
   * Jobs of this context are due soon (a workflow of it started on the queue): starts executors for it, up
   * to the warm count (warmTarget) with those it has, in free slots and in the slots of executors of other
   * bundles that hold and await no job and have run none for a while (an older version of the code, most
   * likely). Returns how many executors started for the bundle are not ready yet; the event
   * warm(bundleHash) follows once they are.
   */
  warm(context: ExecutorContext): number {
    if (this.stopping) return 0;
    const key = contextKey(context);
    const started = this.warming.get(context.bundleHash) ?? new Set<Executor>();
    let want = warmTarget(this.options.slots, this.options.warmExecutors) - this.workers.filter((m) => m.ex.alive && m.ex.key === key).length;
    while (want > 0) {
      if (this.workers.length >= this.options.slots) {
        const idleSince = Date.now() - this.options.warmReplacesIdleMs;
        const idle = this.workers.find(
          (m) =>
            m.inflight.length === 0 &&
            m.ex.bundleHash !== context.bundleHash &&
            m.lastBusy <= idleSince &&
            !this.waiting.some((w) => w.key === m.ex.key),
        );
        if (!idle) break;
        this.retire(idle);
      }
      started.add(this.spawn(context).ex);
      want--;
    }
    if (started.size > 0) this.warming.set(context.bundleHash, started);
    return started.size;
  }

  /**
   * Takes in an executor the pilot's run started for `owner`'s program before the pilot existed, as if warm()
   * had started it: until it is ready, the pool is warming its bundle. Ended instead when it is no use any
   * more or no slot is free.
   */
  adopt(prewarmed: PrewarmedExecutor, owner: number): void {
    if (this.stopping || !prewarmed.usable || this.workers.length >= this.options.slots) return prewarmed.executor.kill();
    const context = prewarmed.adopt(owner, this);
    const m = new PoolMember(prewarmed.executor, context);
    this.members.set(m.ex, m);
    this.workers.push(m);
    if (m.ex.ready) return;
    const warming = this.warming.get(context.bundleHash) ?? new Set<Executor>();
    this.warming.set(context.bundleHash, warming.add(m.ex));
  }

  /** An executor started by warm() is ready or gone: the pool is warm for its bundle once all of them are. */
  private warmed(ex: Executor): void {
    const started = this.warming.get(ex.bundleHash);
    if (!started?.delete(ex) || started.size > 0) return;
    this.warming.delete(ex.bundleHash);
    this.events.warm(ex.bundleHash);
  }

  private spawn(context: ExecutorContext): PoolMember {
    const m = new PoolMember(this.options.start(context, this), context);
    this.members.set(m.ex, m);
    this.workers.push(m);
    return m;
  }

  private retire(m: PoolMember): void {
    const i = this.workers.indexOf(m);
    if (i >= 0) this.workers.splice(i, 1);
    m.end();
  }

  /** The executor's next job starts now (or runs already). */
  private started(m: PoolMember): void {
    const job = m.current;
    if (!job) return;
    this.events.started(job);
    this.limits.watch(job, m.ex.pid);
  }

  onReady(ex: Executor): void {
    const m = this.members.get(ex);
    if (!m) return;
    this.warmed(ex);
    this.dispatchSoon();
    this.retireWhenIdle(m);
  }

  /**
   * The executor holds no job now: if the pool has more executors than it keeps warm, it looks, once this
   * one could have been idle long enough, for executors to retire. One timer at a time: an executor that
   * falls idle later is due later, and each look sets the timer for the next one due.
   */
  private retireWhenIdle(m: PoolMember): void {
    const { executorIdleMs, slots, warmExecutors } = this.options;
    if (executorIdleMs <= 0 || this.retireTimer || this.stopping || m.inflight.length > 0) return;
    if (this.workers.length <= warmTarget(slots, warmExecutors)) return;
    this.retireAt(m.lastBusy + executorIdleMs);
  }

  private retireAt(at: number): void {
    this.retireTimer = setTimeout(() => this.retireIdle(), Math.max(0, at - Date.now()));
    this.retireTimer.unref();
  }

  /** Ends the executors beyond the warm count of their context that have run nothing for too long. */
  private retireIdle(): void {
    this.retireTimer = undefined;
    if (this.stopping) return;
    const alive = this.workers.filter((m) => m.ex.alive);
    const plan = planRetirement({
      executors: alive.map((m) => ({ key: m.ex.key, ready: m.ex.ready, jobs: m.inflight.length, lastBusy: m.lastBusy })),
      waitingKeys: new Set(this.waiting.map((w) => w.key)),
      keep: warmTarget(this.options.slots, this.options.warmExecutors),
      idleMs: this.options.executorIdleMs,
      now: Date.now(),
    });
    for (const i of plan.retire) this.retire(alive[i]!);
    if (plan.nextAt !== undefined) this.retireAt(plan.nextAt);
  }

  onLoadFailed(ex: Executor, error: ErrorInfo): void {
    const m = this.members.get(ex);
    if (!m) return;
    this.broken.set(ex.key, error);
    this.retire(m);
    const failing = this.waiting.filter((w) => w.key === ex.key);
    this.waiting = this.waiting.filter((w) => w.key !== ex.key);
    for (const { job } of failing) this.events.ended(job, { state: "failed", error });
  }

  onDone(ex: Executor, done: JobDone): void {
    const m = this.members.get(ex);
    const job = m?.take(done);
    if (!m || !job) return;
    m.lastBusy = Date.now();
    this.limits.stop(job);
    const moved = this.moving.delete(attemptKey(job));
    if (done.dropped && moved) {
      // Taken back before it started: it runs on the next executor that is free.
      this.events.returned(job);
      this.waiting.unshift(waitingOf(job));
    } else if (done.dropped) {
      this.events.ended(job, killedByUser());
    } else {
      if (done.hops) {
        hopAt("executor.start", job.taskId, job.jobId, job.attempt, done.hops[0]);
        hopAt("executor.end", job.taskId, job.jobId, job.attempt, done.hops[1]);
      }
      this.depths.observe(job.taskId, done.endedAt - done.startedAt);
      const { ok, result, error, startedAt, endedAt, stdout, stderr } = done;
      this.events.ended(job, { state: ok ? "finished" : "failed", result, error, startedAt, endedAt, stdout, stderr });
    }
    this.started(m);
    this.dispatchSoon();
    this.retireWhenIdle(m);
  }

  onExit(ex: Executor, reason: string): void {
    const m = this.members.get(ex);
    if (!m) return;
    this.members.delete(ex);
    const i = this.workers.indexOf(m);
    if (i >= 0) this.workers.splice(i, 1);
    this.warmed(ex);
    const inflight = m.takeAll();
    for (const j of inflight) this.moving.delete(attemptKey(j));
    if (inflight[0]) this.limits.stop(inflight[0]);
    const [first, ...rest] = inflight;
    const killed = first && m.killedOutcome(first);
    if (first && this.stopping && !killed) {
      // Killed with the pilot (its batch job ended, say): not the job's fault. The server retries it as held
      // by a pilot that left, without spending the user's attempts.
      this.events.abandoned(first);
    } else if (first && (killed || !this.broken.has(ex.key))) {
      this.events.ended(first, killed || crashed(reason));
    }
    // Jobs queued behind the one that ended never started: they go to another executor, no attempt spent.
    for (const j of rest) this.events.returned(j);
    this.waiting.unshift(...rest.map(waitingOf));
    this.dispatchSoon();
  }

  /** Stops taking jobs: those waiting are let go (the server hands them to other pilots). */
  stop(): void {
    this.stopping = true;
    this.waiting = [];
    clearTimeout(this.retireTimer);
    this.retireTimer = undefined;
  }

  /** Ends every executor of work jobs. */
  endWorkers(): void {
    for (const m of this.workers.splice(0)) m.end();
  }

  /** Ends every driver executor: their jobs are abandoned, not waited for. */
  endDrivers(): void {
    this.drivers.abandonAll();
  }

  /** Ends every executor and forgets every job, without a word about them (the server took them back). */
  drop(): void {
    clearTimeout(this.retireTimer);
    this.retireTimer = undefined;
    this.limits.stopAll();
    this.drivers.drop();
    for (const m of this.workers.splice(0)) {
      m.takeAll();
      m.end();
    }
    this.waiting = [];
    this.moving.clear();
  }
}
