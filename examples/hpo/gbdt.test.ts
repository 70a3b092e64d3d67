import { describe, expect, it } from "vitest";
import type { Dataset } from "./dataset.js";
import { makeDataset, splitDataset } from "./dataset.js";
import type { GbdtParams } from "./gbdt.js";
import { auc, trainGbdt } from "./gbdt.js";
import { mulberry32 } from "./random.js";

describe("auc", () => {
  it("matches hand-computed values", () => {
    // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered correctly.
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(auc([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.4, 0.3, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });

  it("counts ties as one half", () => {
    // Pairs: (0.5 vs 0.5) tie = 0.5, (0.5 vs 0.2) = 1, (0.9 vs both) = 2; 3.5 of 4.
    expect(auc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1])).toBeCloseTo(0.875, 12);
    // Three-way tie across classes: positive 0.7 beats one negative and ties one; positive 0.3 ties one negative.
    expect(auc([0.7, 0.7, 0.3, 0.3, 0.1], [1, 0, 1, 0, 0])).toBeCloseTo((2.5 + 1.5) / 6, 12);
  });

  it("gives 0.5 for a constant scorer and handles infinities", () => {
    expect(auc([3, 3, 3, 3, 3], [1, 0, 0, 1, 0])).toBe(0.5);
    expect(auc([-Infinity, Infinity, 0], [0, 1, 0])).toBe(1);
  });

  it("is undefined (NaN) with one class, and rejects bad input", () => {
    expect(auc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(() => auc([0.1], [1, 0])).toThrow();
    expect(() => auc([NaN, 1], [1, 0])).toThrow();
  });
});

const sensible: GbdtParams = { learningRate: 0.1, maxDepth: 4, nEstimators: 100, subsample: 0.8, minSamplesLeaf: 20, lambda: 1 };
const absurd: GbdtParams = { learningRate: 0.1, maxDepth: 1, nEstimators: 2, subsample: 1, minSamplesLeaf: 1, lambda: 1 };

function validationAuc(train: Dataset, validation: Dataset, params: GbdtParams, seed = 1): number {
  const model = trainGbdt(train, params, seed);
  return auc(
    validation.features.map((row) => model.predict(row)),
    validation.labels,
  );
}

describe("trainGbdt on the physics dataset", () => {
  const { train, validation } = splitDataset(makeDataset({ n: 4000, seed: 11 }), 0.5, 11);

  it("reaches a high validation AUC with sensible parameters and a poor one with absurd parameters", () => {
    const good = validationAuc(train, validation, sensible);
    const bad = validationAuc(train, validation, absurd);
    expect(good).toBeGreaterThan(0.88);
    expect(good).toBeLessThan(0.97);
    expect(bad).toBeLessThan(good - 0.05);
  });

  it("under-fits with too little boosting and over-fits with no regularisation", () => {
    const good = validationAuc(train, validation, sensible);
    const tiny = validationAuc(train, validation, { ...sensible, learningRate: 0.01, nEstimators: 10 });
    const overfit = validationAuc(train, validation, {
      learningRate: 0.5,
      maxDepth: 8,
      nEstimators: 200,
      subsample: 1,
      minSamplesLeaf: 1,
      lambda: 0.001,
    });
    expect(tiny).toBeLessThan(good - 0.02);
    expect(overfit).toBeLessThan(good - 0.005);
  });

  it("is deterministic for a seed, and subsampling makes the seed matter", () => {
    const rows = validation.features.slice(0, 50);
    const predict = (params: GbdtParams, seed: number): number[] => {
      const model = trainGbdt(train, { ...params, nEstimators: 10 }, seed);
      return rows.map((r) => model.predict(r));
    };
    expect(predict(sensible, 1)).toEqual(predict(sensible, 1));
    expect(predict(sensible, 1)).not.toEqual(predict(sensible, 2));
    expect(predict({ ...sensible, subsample: 1 }, 1)).toEqual(predict({ ...sensible, subsample: 1 }, 2));
    for (const p of predict(sensible, 1)) {
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
    }
  });
});

describe("trainGbdt on synthetic data", () => {
  // XOR of two signs: no single split helps. Depth 2 suffices in principle; greedy growth finds it reliably at depth 3.
  function xor(n: number, seed: number): Dataset {
    const rand = mulberry32(seed);
    const features: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = [rand() * 2 - 1, rand() * 2 - 1, rand()];
      features.push(x);
      labels.push(x[0]! * x[1]! > 0 ? 1 : 0);
    }
    return { features, labels, featureNames: ["a", "b", "noise"] };
  }

  it("needs depth to learn an interaction", () => {
    const train = xor(1000, 1);
    const test = xor(1000, 2);
    const params = { ...sensible, minSamplesLeaf: 5, nEstimators: 30, subsample: 1 };
    expect(validationAuc(train, test, { ...params, maxDepth: 3 })).toBeGreaterThan(0.95);
    expect(validationAuc(train, test, { ...params, maxDepth: 1 })).toBeLessThan(0.65);
  });

  it("routes unseen and missing values consistently", () => {
    const train: Dataset = { features: [[0], [1], [2], [3]], labels: [0, 0, 1, 1], featureNames: ["x"] };
    const model = trainGbdt(train, { ...sensible, minSamplesLeaf: 1, subsample: 1, nEstimators: 20 }, 1);
    expect(model.predict([-100])).toBeLessThan(0.5);
    expect(model.predict([0.9])).toBeLessThan(0.5);
    expect(model.predict([2.1])).toBeGreaterThan(0.5);
    expect(model.predict([1e9])).toBeGreaterThan(0.5);
    expect(Number.isFinite(model.predict([]))).toBe(true);
  });

  it("stays finite on single-class data and rejects invalid parameters", () => {
    const train: Dataset = { features: [[0], [1]], labels: [1, 1], featureNames: ["x"] };
    expect(trainGbdt(train, { ...sensible, lambda: 0 }, 1).predict([0])).toBeGreaterThan(0.5);
    expect(() => trainGbdt(train, { ...sensible, learningRate: 0 }, 1)).toThrow();
    expect(() => trainGbdt(train, { ...sensible, subsample: 1.5 }, 1)).toThrow();
    expect(() => trainGbdt(train, { ...sensible, maxDepth: 0 }, 1)).toThrow();
    expect(() => trainGbdt({ ...train, features: [[0, 1], [1]] }, sensible, 1)).toThrow();
  });
});
