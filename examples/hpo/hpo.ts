// Distributed hyperparameter optimisation, as in the paper: each iteration the Bayesian optimiser proposes a
// batch of points, the batch is ONE task whose jobs each train a gradient-boosted classifier and return its
// validation AUC, and the results are fed back to the optimiser.
//
//   pando run examples/hpo/hpo.ts#optimize              3 iterations × 8 points
//   pando run examples/hpo/hpo.ts#optimize 10 20        the paper's 10 iterations × 20 points
import { work, workflow } from "pando";
import { BayesOpt, type Dimension, type Point } from "./bayesopt.js";
import { makeDataset, splitDataset } from "./dataset.js";
import { auc, trainGbdt, type GbdtParams } from "./gbdt.js";

/** The search space of the classifier's hyperparameters. */
export const SPACE: Dimension[] = [
  { name: "learningRate", low: 0.01, high: 0.5, log: true },
  { name: "maxDepth", low: 1, high: 8, integer: true },
  { name: "nEstimators", low: 10, high: 200, integer: true, log: true },
  { name: "subsample", low: 0.5, high: 1 },
  { name: "minSamplesLeaf", low: 1, high: 100, integer: true, log: true },
  { name: "lambda", low: 0.001, high: 10, log: true },
];

export interface DataOptions {
  /** Events generated for each evaluation (half for training, half for validation). */
  events: number;
  /** Seed of the generated dataset: the same for every job, so all points see the same data. */
  dataSeed: number;
}

function params(point: Point): GbdtParams {
  const p = (name: keyof GbdtParams) => point[name] ?? Number.NaN;
  return {
    learningRate: p("learningRate"),
    maxDepth: p("maxDepth"),
    nEstimators: p("nEstimators"),
    subsample: p("subsample"),
    minSamplesLeaf: p("minSamplesLeaf"),
    lambda: p("lambda"),
  };
}

/** One evaluation: train with these hyperparameters and return the validation AUC. */
export const evaluate = work(
  { name: "hpo.evaluate", mapResults: true, maxAttempts: 3 },
  async (point: Point, data: DataOptions): Promise<number> => {
    const { train, validation } = splitDataset(makeDataset({ n: data.events, seed: data.dataSeed }), 0.5, data.dataSeed);
    const model = trainGbdt(train, params(point), 7);
    return auc(
      validation.features.map((f) => model.predict(f)),
      validation.labels,
    );
  },
);

export interface Iteration {
  iteration: number;
  /** The server's task of this iteration. */
  taskId: number | null;
  bestInBatch: number;
  bestSoFar: number;
  failed: number;
}

export const optimize = workflow(
  { name: "hpo.optimize" },
  async (iterations = 3, points = 8, seed = 1, events = 4000) => {
    const bo = new BayesOpt(SPACE, { seed });
    const data: DataOptions = { events, dataSeed: 42 };
    const history: Iteration[] = [];
    for (let i = 1; i <= iterations; i++) {
      const entries = bo.suggest(points).map((p) => [p, data] as [Point, DataOptions]);
      const run = evaluate.map(entries); // one task of `points` jobs
      const results = await run;
      let bestInBatch = Number.NEGATIVE_INFINITY;
      for (const entry of entries) {
        const value = results.get(entry) ?? Number.NaN; // a failed job registers as NaN (ignored)
        bo.register(entry[0], value);
        if (value > bestInBatch) bestInBatch = value;
      }
      history.push({ iteration: i, taskId: run.taskId, bestInBatch, bestSoFar: bo.best()?.value ?? Number.NaN, failed: results.failed.length });
    }
    const best = bo.best();
    return { bestAuc: best?.value ?? null, bestParams: best ? params(best.point) : null, history };
  },
);
