// An executor without a process: jobs are calls of a function in this process. The executor pool's unit
// tests drive the pool with it; it answers as an executor process does (ready, done, dropped, exit), each
// event after the call that caused it has returned.
import { type ErrorInfo, errorMessage } from "../core/errors.js";
import type { AttemptRef, DispatchedJob } from "../core/dispatch-records.js";
import { contextKey } from "./execution-context.js";
import type { Executor, ExecutorContext, ExecutorEvents, StartExecutor } from "./executor-interface.js";

export interface InProcessWorks {
  /** Runs one job; its value is the job's result (as JSON), a throw its error. */
  run(job: DispatchedJob): Promise<unknown>;
  /** Loads the context's code; a rejection is a load failure (default: loads at once). */
  load?(context: ExecutorContext): Promise<void>;
}

export class InProcessExecutor implements Executor {
  key: string;
  readonly bundleHash: string;
  readonly pid = undefined;
  ready = false;
  alive = true;
  private readonly queue: DispatchedJob[] = [];
  private running = false;

  constructor(
    context: ExecutorContext,
    private readonly works: InProcessWorks,
    private readonly events: ExecutorEvents,
  ) {
    this.key = contextKey(context);
    this.bundleHash = context.bundleHash;
    const load = works.load?.(context) ?? Promise.resolve();
    load.then(
      () => {
        if (!this.alive) return;
        this.ready = true;
        this.events.onReady(this);
      },
      (err: unknown) => {
        if (!this.alive) return;
        this.events.onLoadFailed(this, { code: "bundle_load_failed", message: String(err) });
        this.end("the executor failed to load its bundle");
      },
    );
  }

  run(jobs: DispatchedJob[]): void {
    if (!this.alive) return;
    this.queue.push(...jobs);
    void this.drain();
  }

  cancelQueued(ref: AttemptRef): void {
    const i = this.queue.findIndex((j) => j.jobId === ref.jobId && j.attempt === ref.attempt);
    if (!this.alive || i < 0) return;
    this.queue.splice(i, 1);
    const now = Date.now();
    queueMicrotask(() => {
      if (this.alive) this.events.onDone(this, { t: "done", jobId: ref.jobId, attempt: ref.attempt, ok: false, startedAt: now, endedAt: now, dropped: true });
    });
  }

  kill(): void {
    if (!this.alive) return;
    this.end("the executor process was killed by SIGKILL");
  }

  /** Ends as a process that crashed: what it ran and held goes with it. */
  crash(reason = "the executor process exited with code 1"): void {
    if (this.alive) this.end(reason);
  }

  private end(reason: string): void {
    this.alive = false;
    this.queue.splice(0);
    setImmediate(() => this.events.onExit(this, reason));
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (let job = this.queue.shift(); job !== undefined && this.alive; job = this.queue.shift()) {
      const startedAt = Date.now();
      let outcome: { ok: boolean; result?: string; error?: ErrorInfo };
      try {
        outcome = { ok: true, result: JSON.stringify(await this.works.run(job)) };
      } catch (err) {
        outcome = { ok: false, error: { code: "user_error", message: errorMessage(err) } };
      }
      if (!this.alive) break;
      this.events.onDone(this, { t: "done", jobId: job.jobId, attempt: job.attempt, startedAt, endedAt: Date.now(), ...outcome });
    }
    this.running = false;
  }
}

/** The pool's StartExecutor for in-process executors; `started` lists every executor it started. */
export function inProcessExecutors(works: InProcessWorks, started: InProcessExecutor[] = []): StartExecutor {
  return (context, events) => {
    const ex = new InProcessExecutor(context, works, events);
    started.push(ex);
    return ex;
  };
}
