// The classifier the example tunes: a random forest of ml-random-forest (mljs), a maintained npm library, trained
// on the generated events. This module only translates hyperparameters into the library's options and turns the
// trees' votes into a score.

import { RandomForestClassifier } from "ml-random-forest";
import type { Dataset } from "./dataset.js";

export interface ForestParams {
  /** Trees in the forest. */
  nEstimators: number;
  /** Depth at most of each tree (1: a single split). */
  maxDepth: number;
  /** A node with this many training events or fewer is not split further. */
  minNumSamples: number;
  /** Fraction of the features each tree is given, drawn per tree: floor(fraction × features) of them. */
  maxFeatures: number;
}

export interface Forest {
  /** For each row, the fraction of the trees that vote signal: the score whose ROC AUC is measured. */
  signalScores(rows: number[][]): number[];
}

/** Trains a forest on bootstrap samples of `train`; the same data, parameters and seed give the same forest. */
export function trainForest(train: Dataset, params: ForestParams, seed: number): Forest {
  validate(params, train.featureNames.length, seed);
  const forest = new RandomForestClassifier({
    nEstimators: params.nEstimators,
    maxFeatures: params.maxFeatures,
    // Distinct features per tree: with replacement a tree could be given the same feature twice.
    replacement: false,
    useSampleBagging: true,
    seed,
    // Out-of-bag predictions cost time and are not used: the score is measured on separate validation events.
    noOOB: true,
    treeOptions: {
      maxDepth: params.maxDepth,
      minNumSamples: params.minNumSamples,
      // The library's default (0.01) stops splitting on small impurity gains; at 0 only the two searched
      // hyperparameters, depth and node size, decide how far a tree grows.
      gainThreshold: 0,
    },
  });
  forest.train(train.features, train.labels);
  return {
    signalScores(rows: number[][]): number[] {
      // predictProbability of version 2.1.0 sums the votes with a reduce that has no initial value, so the first
      // tree's vote counts 1e-6 instead of 1/nEstimators; the votes are averaged here instead.
      const votes = forest.predictionValues(rows);
      return Array.from({ length: votes.rows }, (_, i) => {
        const row = votes.getRow(i);
        return row.reduce((sum, vote) => sum + vote, 0) / row.length;
      });
    },
  };
}

function validate(params: ForestParams, nFeatures: number, seed: number): void {
  const problems: string[] = [];
  for (const name of ["nEstimators", "maxDepth", "minNumSamples"] as const) {
    if (!(Number.isInteger(params[name]) && params[name] >= 1)) problems.push(`${name} must be a whole number of at least 1`);
  }
  // The library reads a number in (0, 1] as a fraction, and a fraction that selects no feature fails deep inside it.
  if (!(params.maxFeatures > 0 && params.maxFeatures <= 1 && Math.floor(params.maxFeatures * nFeatures) >= 1)) {
    problems.push(`maxFeatures must be a fraction in (0, 1] that selects at least one of the ${nFeatures} features`);
  }
  if (!(Number.isInteger(seed) && seed >= -(2 ** 31) && seed < 2 ** 31)) problems.push("the seed must be a 32-bit integer");
  if (problems.length > 0) throw new RangeError(`trainForest: ${problems.join("; ")}, got ${JSON.stringify(params)} and seed ${seed}`);
}
