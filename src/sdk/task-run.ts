import { TimeoutError, type JobError } from "./errors.js";
import { detailsOf, jobErrorOf, type JobDetails, type Outcome } from "./outcome.js";
import type { OutcomeSink } from "./runner.js";

/** One job's outcome as a work call streams it (`asCompleted()`). */
export interface CompletedJob<E, R> {
  entry: E;
  key: string;
  index: number;
  ok: boolean;
  value: R | undefined;
  error: JobError | undefined;
  details: JobDetails;
}

export interface TaskRunParts<T, E> {
  inputs: readonly E[];
  /** Runs the call, feeding the sink. */
  start(sink: OutcomeSink): Promise<void>;
  /** Turns all outcomes (in input order) into the awaited value, or throws. */
  shape(outcomes: readonly Outcome[], taskId: number | null): T;
  /** Stops the call: kills the task on the server, or stops a local run. */
  cancel(taskId: number | null, controller: AbortController): Promise<void>;
}

/**
 * A work call in progress: await it for its value, iterate `asCompleted()` for each job's outcome as it
 * becomes final, or `cancel()` it. The call starts at once, whether or not anyone awaits it.
 */
export class TaskRun<T, E = unknown, R = unknown> implements PromiseLike<T> {
  private readonly outcomes: Outcome[] = [];
  private readonly byIndex: Array<Outcome | undefined>;
  private readonly controller = new AbortController();
  private readonly finished: Promise<void>;
  private wakeStreams: Array<() => void> = [];
  private id: number | null = null;
  private value: Promise<T> | undefined;
  private cancelRequested = false;
  private ended = false;

  constructor(private readonly parts: TaskRunParts<T, E>) {
    this.byIndex = new Array<Outcome | undefined>(parts.inputs.length);
    const sink: OutcomeSink = {
      signal: this.controller.signal,
      onTaskId: (id) => {
        this.id = id;
        if (this.cancelRequested) void this.parts.cancel(id, this.controller).catch(() => undefined);
      },
      onOutcome: (o) => {
        this.byIndex[o.index] = o;
        this.outcomes.push(o);
        this.wake();
      },
    };
    this.finished = parts.start(sink).finally(() => {
      // Set before waking the streams, so a woken stream sees the end (no extra turn of the event loop).
      this.ended = true;
      this.wake();
    });
    // Failures surface through then() or asCompleted(); never as an unhandled rejection.
    this.finished.catch(() => undefined);
  }

  private wake(): void {
    const waiting = this.wakeStreams;
    this.wakeStreams = [];
    for (const w of waiting) w();
  }

  /** The server's task id, once submitted (null before, and for in-process runs). */
  get taskId(): number | null {
    return this.id;
  }

  /** The awaited value (what `await run` gives). */
  result(): Promise<T> {
    this.value ??= this.finished.then(() => this.parts.shape(this.byIndex as Outcome[], this.id));
    return this.value;
  }

  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result().then(onFulfilled, onRejected);
  }

  /**
   * The awaited value, or a TimeoutError after `timeoutMs` if the call has not ended by then (it runs on,
   * and can still be awaited or cancelled).
   */
  wait(timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const what = this.id === null ? "the call" : `task ${this.id}`;
        reject(new TimeoutError(`${what} did not end within ${timeoutMs} ms; it runs on`));
      }, timeoutMs);
    });
    return Promise.race([this.result(), timeout]).finally(() => clearTimeout(timer));
  }

  /** Kills the task: queued jobs are cancelled at once and running ones are stopped. */
  async cancel(): Promise<void> {
    this.cancelRequested = true;
    await this.parts.cancel(this.id, this.controller);
  }

  /** Each job's outcome as soon as it is final, in the order they end. */
  async *asCompleted(): AsyncGenerator<CompletedJob<E, R>, void, undefined> {
    let next = 0;
    for (;;) {
      while (next < this.outcomes.length) {
        const o = this.outcomes[next++]!;
        const ok = o.state === "finished";
        yield {
          entry: this.parts.inputs[o.index] as E,
          key: o.key,
          index: o.index,
          ok,
          value: ok ? (o.value as R) : undefined,
          error: ok ? undefined : jobErrorOf(o, this.id),
          details: detailsOf(o),
        };
      }
      if (this.ended) {
        await this.finished;
        return;
      }
      await new Promise<void>((resolve) => this.wakeStreams.push(resolve));
    }
  }
}
