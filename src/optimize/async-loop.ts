// The asynchronous loop: `concurrency` evaluations in flight, and a new point asked as soon as one finishes
// (as completed, not batch by batch), which keeps every slot busy when evaluations take unequal times. The
// points depend on the order evaluations finish in, so a rerun proposes the same points only if they finish
// in the same order; the batch loop is the one to resume.
import type { TrialValue } from "./objective.js";
import type { Params } from "./space.js";
import type { Study } from "./study.js";
import { wholeNumber } from "./whole-number.js";

export interface AsyncLoopOptions {
  /** Evaluations in all. */
  evaluations: number;
  /** Evaluations in flight at once. */
  concurrency: number;
  /** Evaluates one point; a rejection tells the trial as failed. */
  evaluate: (params: Params, trialId: number) => Promise<TrialValue>;
}

export interface AsyncLoopResult {
  completed: number;
  failed: number;
}

export async function runAsyncLoop(study: Study, options: AsyncLoopOptions): Promise<AsyncLoopResult> {
  wholeNumber("runAsyncLoop", "evaluations", options.evaluations, 1);
  wholeNumber("runAsyncLoop", "concurrency", options.concurrency, 1);
  let started = 0;
  const result: AsyncLoopResult = { completed: 0, failed: 0 };
  const inFlight = new Map<number, Promise<number>>();
  const start = (): void => {
    const [asked] = study.ask(1);
    const { id, params } = asked!;
    started++;
    inFlight.set(
      id,
      options.evaluate(params, id).then(
        (value) => {
          study.tell(id, value);
          result.completed++;
          return id;
        },
        (err: unknown) => {
          study.tellFailed(id, err instanceof Error ? err.message : String(err));
          result.failed++;
          return id;
        },
      ),
    );
  };
  while (started < Math.min(options.concurrency, options.evaluations)) start();
  while (inFlight.size > 0) {
    const finished = await Promise.race(inFlight.values());
    inFlight.delete(finished);
    if (started < options.evaluations) start();
  }
  return result;
}
