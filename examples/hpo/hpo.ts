// Distributed hyperparameter optimisation, as in the paper: each iteration a study of pando/optimize (Bayesian
// optimisation, or random search as the baseline) asks a batch of points, the batch is ONE task whose jobs each
// train a random forest (ml-random-forest) and return its validation AUC, and the results are told to the study
// (runBatchLoop). The study is seeded, so a resumed driver asks the same points and attaches to its tasks.
//
//   pando run examples/hpo/hpo.ts#optimize                   3 iterations × 8 points, Bayesian optimisation
//   pando run examples/hpo/hpo.ts#optimize 10 20             the paper's 10 iterations × 20 points
//   pando run examples/hpo/hpo.ts#optimize 10 20 1 random    the same budget spent on random search
//   pando run examples/hpo/hpo.ts#optimize 3 8 1 bayes 400 python   a Python objective, through a command work
import { work, workflow } from "pando";
import { auc, OBJECTIVE } from "./auc.js";
import { createStudy, float, gpSampler, int, randomSampler, runBatchLoop, type Params, type SpaceDefinition } from "pando/optimize";
import { makeDataset, splitDataset } from "./dataset.js";
import { trainForest, type ForestParams } from "./forest.js";
import { evaluatePython, objectiveScript, PYTHON_SPACE, writeDataset } from "./python-objective.js";

/** The search space of the forest's hyperparameters. */
export const SPACE: SpaceDefinition = {
  nEstimators: int(2, 32, { log: true }),
  maxDepth: int(1, 16),
  minNumSamples: int(1, 64, { log: true }),
  maxFeatures: float(0.1, 1),
};

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

function forestParams(point: Params): ForestParams {
  const p = (name: keyof ForestParams) => (typeof point[name] === "number" ? point[name] : Number.NaN);
  return { nEstimators: p("nEstimators"), maxDepth: p("maxDepth"), minNumSamples: p("minNumSamples"), maxFeatures: p("maxFeatures") };
}

/** One evaluation: train a forest with these hyperparameters and measure its validation AUC. */
export const evaluate = work(
  { name: "hpo.evaluate", mapResults: true, maxAttempts: 3, objective: OBJECTIVE },
  async (point: Params, data: DataOptions): Promise<Evaluation> => {
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
  /** Seed of the study. */
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
  /** Wall time the study took, in the driver, to ask this iteration's points. */
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

/** One batch of points evaluated as one task: each point's result (undefined for a failed job), and the task. */
interface Batch {
  taskId: number | null;
  results: (Evaluation | undefined)[];
}

/** How a batch of points is evaluated, for each objective. */
function batchEvaluator(objective: Objective, data: DataOptions): (points: Params[]) => Promise<Batch> {
  if (objective === "python") {
    const options = { dataset: writeDataset(data), script: objectiveScript() };
    return async (points) => {
      const entries = points.map((p) => [p, options] as [Params, typeof options]);
      const run = evaluatePython.map(entries); // one task of `points` jobs, each a python3 process
      const results = await run;
      return { taskId: run.taskId, results: entries.map((e) => results.get(e)) };
    };
  }
  return async (points) => {
    const entries = points.map((p) => [p, data] as [Params, DataOptions]);
    const run = evaluate.map(entries); // one task of `points` jobs
    const results = await run;
    return { taskId: run.taskId, results: entries.map((e) => results.get(e)) };
  };
}

/**
 * The optimisation loop: one task of `points` jobs per iteration. Called from a workflow's body, so that other
 * workflows (compare.ts) can run it too.
 */
export async function search(options: SearchOptions): Promise<SearchResult> {
  checkOptions(options);
  const { iterations, points, seed, strategy, trainEvents, objective = "forest" } = options;
  const study = createStudy({
    space: objective === "python" ? PYTHON_SPACE : SPACE,
    objective: OBJECTIVE,
    sampler: strategy === "bayes" ? gpSampler() : randomSampler(),
    seed,
  });
  const evaluateBatch = batchEvaluator(objective, { trainEvents, validationEvents: VALIDATION_EVENTS, dataSeed: DATA_SEED });
  const history: Iteration[] = [];
  // The study asks between the end of one iteration and the evaluation of the next.
  let told = performance.now();
  let batch: Batch & { proposeSeconds: number } = { taskId: null, results: [], proposeSeconds: 0 };
  await runBatchLoop(study, {
    iterations,
    batchSize: points,
    evaluate: async (asked) => {
      const proposeSeconds = (performance.now() - told) / 1000;
      batch = { ...(await evaluateBatch(asked)), proposeSeconds };
      return batch.results;
    },
    onIteration: ({ iteration, failed, bestValue }) => {
      const bestInBatch = Math.max(...batch.results.map((r) => r?.auc ?? Number.NEGATIVE_INFINITY));
      history.push({ iteration, taskId: batch.taskId, bestInBatch, bestSoFar: bestValue ?? Number.NaN, failed, proposeSeconds: batch.proposeSeconds });
      told = performance.now();
    },
  });
  const best = study.best();
  return {
    strategy,
    objective,
    bestAuc: best?.value ?? null,
    bestParams: best ? (objective === "python" ? (best.params as Record<string, number>) : { ...forestParams(best.params) }) : null,
    evaluations: study.trials().filter((t) => t.state === "complete").length,
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
