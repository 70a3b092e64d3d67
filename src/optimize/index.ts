/**
 * `pando/optimize`: the optimiser that ships with Pando. Pure TypeScript, with no I/O: it proposes points
 * and records results, and the caller evaluates them (in Pando, as the jobs of a task).
 *
 * ```ts
 * import { createStudy, float, int, gpSampler, runBatchLoop } from "pando/optimize";
 * const study = createStudy({
 *   space: { rate: float(1e-4, 1, { log: true }), depth: int(1, 16) },
 *   objective: { name: "auc", direction: "maximize" },
 *   sampler: gpSampler(),
 *   seed: 1,
 * });
 * await runBatchLoop(study, { iterations: 10, batchSize: 20, evaluate: (points) => evaluateAll(points) });
 * study.best();
 * ```
 *
 * See docs/optimize.md.
 * @packageDocumentation
 */

/** Search spaces: `float`, `int`, `categorical` parameters, conditional ones through `when`. */
export { categorical, defineSpace, float, int, SearchSpace } from "./space.js";
export type { CategoricalParameter, Choice, Condition, FloatParameter, IntParameter, Parameter, Params, SpaceDefinition } from "./space.js";

/** The declared objective `{ name, direction, constraints? }` and how a trial's value is read. */
export { defineObjective, readValue } from "./objective.js";
export type { Direction, Objective, Reading, TrialValue } from "./objective.js";

/** Studies: ask, tell, best, save and restore. */
export { createStudy, restoreStudy, Study, STUDY_FORMAT } from "./study.js";
export type { Ask, StudyJson, StudyOptions, Trial, TrialState } from "./study.js";

/** Samplers: random search, Gaussian-process Bayesian optimisation, the tree-structured Parzen estimator. */
export { DEFAULT_INITIAL_RANDOM } from "./sampler.js";
export type { Observation, ProposalInput, Sampler, SamplerDescription } from "./sampler.js";
export { randomSampler } from "./random-sampler.js";
export { gpSampler } from "./gp-sampler.js";
export type { GpSamplerOptions } from "./gp-sampler.js";
export { tpeSampler } from "./tpe-sampler.js";
export type { TpeSamplerOptions } from "./tpe-sampler.js";

/** Early stopping by the median rule. */
export { medianPruner } from "./median-pruner.js";
export type { MedianPrunerOptions, Pruner, PrunerDescription, Reported } from "./median-pruner.js";

/** Loops: one batch per iteration (one task each), or as-completed with a fixed number in flight. */
export { runBatchLoop } from "./batch-loop.js";
export type { BatchIteration, BatchLoopOptions } from "./batch-loop.js";
export { runAsyncLoop } from "./async-loop.js";
export type { AsyncLoopOptions, AsyncLoopResult } from "./async-loop.js";

/** The building blocks, for samplers of one's own and for simulations. */
export { gaussian, mixSeed, mulberry32, SeededRandom } from "./random.js";
export { normalCdf, normalPdf } from "./normal.js";
export { cholesky, solveLower, solveUpper } from "./linear-algebra.js";
export { GaussianProcess, matern52 } from "./gaussian-process.js";
export type { GpHyper } from "./gaussian-process.js";
export { expectedImprovement } from "./acquisition.js";

/** Standard test functions with their known minima. */
export { branin, hartmann6, rosenbrock5, TEST_FUNCTIONS } from "./test-functions.js";
export type { TestFunction } from "./test-functions.js";
