// The paper's loop: each iteration asks a batch of points, evaluates the whole batch as one call (in Pando,
// one task: `(points) => evaluate.map(points)`), and tells the results in the batch's order, so that the
// study, and with it every later batch, is the same on every run with the same seed.
import type { TrialValue } from "./objective.js";
import type { Params } from "./space.js";
import type { Study } from "./study.js";
import { wholeNumber } from "./whole-number.js";

export interface BatchLoopOptions {
  iterations: number;
  batchSize: number;
  /** Evaluates a batch: one value per point, in order; `undefined` for a point whose evaluation failed. */
  evaluate: (points: Params[]) => Promise<ReadonlyArray<TrialValue | undefined>>;
  /** Called after each iteration's tells. */
  onIteration?: (iteration: BatchIteration) => void;
}

export interface BatchIteration {
  /** 1 for the first. */
  iteration: number;
  trialIds: number[];
  failed: number;
  /** The study's best value after this iteration (undefined while no trial has completed feasibly). */
  bestValue: number | undefined;
}

export async function runBatchLoop(study: Study, options: BatchLoopOptions): Promise<BatchIteration[]> {
  wholeNumber("runBatchLoop", "iterations", options.iterations, 1);
  wholeNumber("runBatchLoop", "batchSize", options.batchSize, 1);
  const history: BatchIteration[] = [];
  for (let iteration = 1; iteration <= options.iterations; iteration++) {
    const asked = study.ask(options.batchSize);
    const values = await options.evaluate(asked.map((a) => a.params));
    if (values.length !== asked.length) {
      throw new RangeError(`runBatchLoop: evaluate returned ${values.length} values for ${asked.length} points; return one per point, undefined for a failure`);
    }
    let failed = 0;
    asked.forEach((a, i) => {
      const value = values[i];
      if (value === undefined) {
        study.tellFailed(a.id);
        failed++;
      } else study.tell(a.id, value);
    });
    const done: BatchIteration = { iteration, trialIds: asked.map((a) => a.id), failed, bestValue: study.best()?.value };
    history.push(done);
    options.onIteration?.(done);
  }
  return history;
}
