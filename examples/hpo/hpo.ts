// Distributed hyperparameter optimisation, as in the paper: each iteration a proposer (Bayesian optimisation, or
// random search as the baseline) suggests a batch of points, the batch is ONE task whose jobs each train a random
// forest (ml-random-forest) and return its validation AUC, and the results are fed back to the proposer.
//
//   pando run examples/hpo/hpo.ts#optimize                   3 iterations × 8 points, Bayesian optimisation
//   pando run examples/hpo/hpo.ts#optimize 10 20             the paper's 10 iterations × 20 points
//   pando run examples/hpo/hpo.ts#optimize 10 20 1 random    the same budget spent on random search
//   pando run examples/hpo/hpo.ts#optimize 3 8 1 bayes 400 python   a Python objective, through a command work
import { work, workflow } from "pando";
import { auc } from "./auc.js";
import { BayesOpt, type Dimension, type Point } from "./bayesopt.js";
import { makeDataset, splitDataset } from "./dataset.js";
import { trainForest, type ForestParams } from "./forest.js";
import { evaluatePython, objectiveScript, PYTHON_SPACE, writeDataset } from "./python-objective.js";
import { RandomSearch } from "./random-search.js";

/** The search space of the forest's hyperparameters. */
export const SPACE: Dimension[] = [
  { name: "nEstimators", low: 2, high: 32, integer: true, log: true },
  { name: "maxDepth", low: 1, high: 16, integer: true },
  { name: "minNumSamples", low: 1, high: 64, integer: true, log: true },
  { name: "maxFeatures", low: 0.1, high: 1 },
];

/** Events the forest is trained on, by default. The library's split search grows with their square: see README.md. */
export const DEFAULT_TRAIN_EVENTS = 400;
/** Events the AUC is measured on: many, since predicting is cheap and a precise AUC makes a less noisy objective. */
export const VALIDATION_EVENTS = 4000;
/** The same for every job, so every point is judged on the same events. */
const DATA_SEED = 42;
/** The forest's own seed (bootstrap samples, features per tree), fixed so that a point always scores the same. */
const FOREST_SEED = 7;

export interface DataOptions {
  trainEvents: number;
  validationEvents: number;
  /** Seed of the generated dataset and of its split. */
  dataSeed: number;
}

/** What one job returns: the objective, and what the evaluation cost. */
export interface Evaluation {
  /** ROC AUC of the forest's score on the validation events. */
  auc: number;
  /** Wall time of the evaluation in the job: generating the events, training, scoring. */
  seconds: number;
}

function forestParams(point: Point): ForestParams {
  const p = (name: keyof ForestParams) => point[name] ?? Number.NaN;
  return { nEstimators: p("nEstimators"), maxDepth: p("maxDepth"), minNumSamples: p("minNumSamples"), maxFeatures: p("maxFeatures") };
}

/** One evaluation: train a forest with these hyperparameters and measure its validation AUC. */
export const evaluate = work(
  { name: "hpo.evaluate", mapResults: true, maxAttempts: 3 },
  async (point: Point, data: DataOptions): Promise<Evaluation> => {
    const started = performance.now();
    const events = data.trainEvents + data.validationEvents;
    const { train, validation } = splitDataset(makeDataset({ n: events, seed: data.dataSeed }), data.validationEvents / events, data.dataSeed);
    const forest = trainForest(train, forestParams(point), FOREST_SEED);
    return { auc: auc(forest.signalScores(validation.features), validation.labels), seconds: (performance.now() - started) / 1000 };
  },
);

export const STRATEGIES = ["bayes", "random"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** What a point is scored by: the random forest in TypeScript, or a logistic regression in Python (objective.py). */
export const OBJECTIVES = ["forest", "python"] as const;
export type Objective = (typeof OBJECTIVES)[number];

export interface SearchOptions {
  iterations: number;
  /** Points per iteration: the jobs of each iteration's task. */
  points: number;
  /** Seed of the proposer. */
  seed: number;
  strategy: Strategy;
  trainEvents: number;
  /** Default "forest". */
  objective?: Objective;
}

export interface Iteration {
  iteration: number;
  /** The server's task of this iteration (null when run outside a workflow). */
  taskId: number | null;
  bestInBatch: number;
  bestSoFar: number;
  failed: number;
  /** Wall time the proposer took, in the driver, to suggest this iteration's points. */
  proposeSeconds: number;
}

export interface SearchResult {
  strategy: Strategy;
  objective: Objective;
  bestAuc: number | null;
  /** The best point's hyperparameters: the forest's, or the logistic regression's. */
  bestParams: Readonly<Record<string, number>> | null;
  evaluations: number;
  history: Iteration[];
}

function checkOptions(o: SearchOptions): void {
  const problems: string[] = [];
  const atLeast = (name: "iterations" | "points" | "trainEvents", min: number) => {
    if (!(Number.isInteger(o[name]) && o[name] >= min)) problems.push(`${name} must be a whole number of at least ${min} (got ${JSON.stringify(o[name])})`);
  };
  atLeast("iterations", 1);
  atLeast("points", 1);
  atLeast("trainEvents", 100);
  if (!Number.isInteger(o.seed)) problems.push(`seed must be a whole number (got ${JSON.stringify(o.seed)})`);
  if (!STRATEGIES.includes(o.strategy)) problems.push(`strategy must be ${STRATEGIES.map((s) => `"${s}"`).join(" or ")} (got ${JSON.stringify(o.strategy)})`);
  if (o.objective !== undefined && !OBJECTIVES.includes(o.objective)) {
    problems.push(`objective must be ${OBJECTIVES.map((s) => `"${s}"`).join(" or ")} (got ${JSON.stringify(o.objective)})`);
  }
  if (problems.length > 0) throw new RangeError(problems.join("; "));
}

/** One batch of points evaluated as one task: the AUC of each point (NaN for a failed job), and the failures. */
interface Batch {
  taskId: number | null;
  aucs: number[];
  failed: number;
}

/** How a batch of points is evaluated, for each objective. */
function batchEvaluator(objective: Objective, data: DataOptions): (points: Point[]) => Promise<Batch> {
  if (objective === "python") {
    const options = { dataset: writeDataset(data), script: objectiveScript() };
    return async (points) => {
      const entries = points.map((p) => [p, options] as [Point, typeof options]);
      const run = evaluatePython.map(entries); // one task of `points` jobs, each a python3 process
      const results = await run;
      return { taskId: run.taskId, aucs: entries.map((e) => results.get(e)?.auc ?? Number.NaN), failed: results.failed.length };
    };
  }
  return async (points) => {
    const entries = points.map((p) => [p, data] as [Point, DataOptions]);
    const run = evaluate.map(entries); // one task of `points` jobs
    const results = await run;
    return { taskId: run.taskId, aucs: entries.map((e) => results.get(e)?.auc ?? Number.NaN), failed: results.failed.length };
  };
}

/**
 * The optimisation loop: one task of `points` jobs per iteration. Called from a workflow's body, so that other
 * workflows (compare.ts) can run it too.
 */
export async function search(options: SearchOptions): Promise<SearchResult> {
  checkOptions(options);
  const { iterations, points, seed, strategy, trainEvents, objective = "forest" } = options;
  const space = objective === "python" ? PYTHON_SPACE : SPACE;
  const proposer = strategy === "bayes" ? new BayesOpt(space, { seed }) : new RandomSearch(space, { seed });
  const evaluateBatch = batchEvaluator(objective, { trainEvents, validationEvents: VALIDATION_EVENTS, dataSeed: DATA_SEED });
  const history: Iteration[] = [];
  for (let i = 1; i <= iterations; i++) {
    const proposing = performance.now();
    const batch = proposer.suggest(points);
    const proposeSeconds = (performance.now() - proposing) / 1000;
    const { taskId, aucs, failed } = await evaluateBatch(batch);
    let bestInBatch = Number.NEGATIVE_INFINITY;
    batch.forEach((point, j) => {
      const value = aucs[j]!; // a failed job registers as NaN (ignored)
      proposer.register(point, value);
      if (value > bestInBatch) bestInBatch = value;
    });
    const bestSoFar = proposer.best()?.value ?? Number.NaN;
    history.push({ iteration: i, taskId, bestInBatch, bestSoFar, failed, proposeSeconds });
  }
  const best = proposer.best();
  return {
    strategy,
    objective,
    bestAuc: best?.value ?? null,
    bestParams: best ? (objective === "python" ? { ...best.point } : { ...forestParams(best.point) }) : null,
    evaluations: proposer.observations.length,
    history,
  };
}

export const optimize = workflow(
  { name: "hpo.optimize" },
  async (
    iterations = 3,
    points = 8,
    seed = 1,
    strategy: Strategy = "bayes",
    trainEvents = DEFAULT_TRAIN_EVENTS,
    objective: Objective = "forest",
  ): Promise<SearchResult> => search({ iterations, points, seed, strategy, trainEvents, objective }),
);
