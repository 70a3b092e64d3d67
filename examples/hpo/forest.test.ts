import { describe, expect, it } from "vitest";
import { auc } from "./auc.js";
import type { Dataset } from "./dataset.js";
import { makeDataset, splitDataset } from "./dataset.js";
import type { ForestParams } from "./forest.js";
import { trainForest } from "./forest.js";
import { mulberry32 } from "pando/optimize";

const sensible: ForestParams = { nEstimators: 12, maxDepth: 8, minNumSamples: 10, maxFeatures: 0.7 };
// One feature per tree, two trees: most trees see a feature that says little on its own.
const poor: ForestParams = { nEstimators: 2, maxDepth: 8, minNumSamples: 10, maxFeatures: 0.1 };

describe("trainForest on the physics dataset", () => {
  const { train, validation } = splitDataset(makeDataset({ n: 2400, seed: 11 }), 2000 / 2400, 11);
  const validationAuc = (params: ForestParams, seed = 1) => auc(trainForest(train, params, seed).signalScores(validation.features), validation.labels);

  it("is deterministic for a seed, and the seed matters", () => {
    const rows = validation.features.slice(0, 200);
    const scores = (seed: number) => trainForest(train, { ...sensible, nEstimators: 6 }, seed).signalScores(rows);
    expect(scores(3)).toEqual(scores(3));
    expect(scores(3)).not.toEqual(scores(4));
  });

  it("scores each row with the fraction of its trees that vote signal", () => {
    const scores = trainForest(train, { ...sensible, nEstimators: 5 }, 1).signalScores(validation.features);
    expect(scores).toHaveLength(validation.features.length);
    for (const s of scores) expect([0, 0.2, 0.4, 0.6, 0.8, 1].some((v) => Math.abs(s - v) < 1e-12)).toBe(true);
    // Both unanimous votes occur: the score is not stuck at one end.
    expect(scores).toContain(0);
    expect(scores).toContain(1);
  });

  it("reaches a good validation AUC with sensible hyperparameters and a clearly worse one with poor ones", () => {
    const good = validationAuc(sensible);
    expect(good).toBeGreaterThan(0.85);
    expect(good).toBeLessThan(0.95);
    expect(validationAuc(poor)).toBeLessThan(good - 0.05);
  }, 30_000);
});

describe("trainForest on synthetic data", () => {
  // XOR of two signs: no single split helps, a depth of two does.
  function xor(n: number, seed: number): Dataset {
    const rand = mulberry32(seed);
    const features: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = [rand() * 2 - 1, rand() * 2 - 1];
      features.push(x);
      labels.push(x[0]! * x[1]! > 0 ? 1 : 0);
    }
    return { features, labels, featureNames: ["a", "b"] };
  }
  const train = xor(300, 1);
  const test = xor(500, 2);
  const testAuc = (params: ForestParams) => auc(trainForest(train, params, 1).signalScores(test.features), test.labels);
  const full: ForestParams = { nEstimators: 10, maxDepth: 6, minNumSamples: 2, maxFeatures: 1 };

  it("passes the depth on to the trees: one split cannot learn an interaction", () => {
    expect(testAuc(full)).toBeGreaterThan(0.9);
    expect(testAuc({ ...full, maxDepth: 1 })).toBeLessThan(0.7);
  });

  it("passes the node size on to the trees: nodes as large as the training set are never split", () => {
    expect(testAuc({ ...full, minNumSamples: train.labels.length })).toBe(0.5);
  });

  it("rejects hyperparameters the library would misread or fail on", () => {
    expect(() => trainForest(train, { ...full, nEstimators: 0 }, 1)).toThrow(/nEstimators/);
    expect(() => trainForest(train, { ...full, maxDepth: 2.5 }, 1)).toThrow(/maxDepth/);
    expect(() => trainForest(train, { ...full, minNumSamples: 0 }, 1)).toThrow(/minNumSamples/);
    // Two features: a quarter of them is none.
    expect(() => trainForest(train, { ...full, maxFeatures: 0.25 }, 1)).toThrow(/maxFeatures/);
    expect(() => trainForest(train, { ...full, maxFeatures: 2 }, 1)).toThrow(/maxFeatures/);
    expect(() => trainForest(train, full, 1.5)).toThrow(/seed/);
  });
});
