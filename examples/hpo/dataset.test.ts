import { describe, expect, it } from "vitest";
import { makeDataset, splitDataset } from "./dataset.js";
import { auc } from "./auc.js";

const column = (rows: number[][], f: number): number[] => rows.map((r) => r[f]!);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

describe("makeDataset", () => {
  it("is deterministic for a seed and differs between seeds", () => {
    const a = makeDataset({ n: 300, seed: 5 });
    expect(makeDataset({ n: 300, seed: 5 })).toEqual(a);
    expect(makeDataset({ n: 300, seed: 6 }).features).not.toEqual(a.features);
  });

  it("has exactly the requested class balance, shuffled", () => {
    const half = makeDataset({ n: 1001, seed: 1 });
    expect(half.labels.filter((l) => l === 1)).toHaveLength(501);
    expect(half.labels.every((l) => l === 0 || l === 1)).toBe(true);
    // Not sorted by class: both classes appear in the first hundred events.
    expect(new Set(half.labels.slice(0, 100)).size).toBe(2);
    const rare = makeDataset({ n: 1000, seed: 1, signalFraction: 0.2 });
    expect(rare.labels.filter((l) => l === 1)).toHaveLength(200);
  });

  it("produces finite, physically sensible features", () => {
    const d = makeDataset({ n: 2000, seed: 2 });
    const name = (s: string): number => d.featureNames.indexOf(s);
    expect(d.features).toHaveLength(2000);
    for (const row of d.features) {
      expect(row).toHaveLength(d.featureNames.length);
      expect(row.every(Number.isFinite)).toBe(true);
      expect(row[name("mass")]!).toBeGreaterThanOrEqual(90);
      expect(row[name("mass")]!).toBeLessThanOrEqual(170);
      expect(row[name("pt1")]!).toBeGreaterThanOrEqual(row[name("pt2")]!);
      expect(row[name("pt2")]!).toBeGreaterThanOrEqual(20);
      expect(Math.abs(row[name("eta1")]!)).toBeLessThanOrEqual(2.5);
      expect(Number.isInteger(row[name("nJets")]!)).toBe(true);
    }
    // Signal mass peaks at the resonance; background is spread over the window.
    const mass = column(d.features, name("mass"));
    const signalMass = mass.filter((_, i) => d.labels[i] === 1);
    const backgroundMass = mass.filter((_, i) => d.labels[i] === 0);
    expect(Math.abs(median(signalMass) - 125)).toBeLessThan(5);
    const iqr = (xs: number[]): number => quantile(xs, 0.75) - quantile(xs, 0.25);
    expect(iqr(backgroundMass)).toBeGreaterThan(2 * iqr(signalMass));
  });

  it("is not separable by any single feature", () => {
    const d = makeDataset({ n: 4000, seed: 3 });
    const separations = d.featureNames.map((_, f) => {
      const a = auc(column(d.features, f), d.labels);
      return Math.max(a, 1 - a);
    });
    expect(Math.max(...separations)).toBeLessThan(0.8);
    // pileup is a pure distractor.
    expect(separations[d.featureNames.indexOf("pileup")]!).toBeLessThan(0.56);
  });

  it("rejects invalid options", () => {
    expect(() => makeDataset({ n: -1, seed: 1 })).toThrow();
    expect(() => makeDataset({ n: 10, seed: 1, signalFraction: 1.5 })).toThrow();
  });
});

describe("splitDataset", () => {
  const data = makeDataset({ n: 1000, seed: 9, signalFraction: 0.3 });

  it("partitions the events, stratified by class", () => {
    const { train, validation } = splitDataset(data, 0.25, 1);
    expect(validation.labels).toHaveLength(250);
    expect(train.labels).toHaveLength(750);
    expect(validation.labels.filter((l) => l === 1)).toHaveLength(75);
    expect(train.labels.filter((l) => l === 1)).toHaveLength(225);
    const key = (row: number[], label: number): string => JSON.stringify([row, label]);
    const all = data.features.map((r, i) => key(r, data.labels[i]!)).sort();
    const parts = [
      ...train.features.map((r, i) => key(r, train.labels[i]!)),
      ...validation.features.map((r, i) => key(r, validation.labels[i]!)),
    ].sort();
    expect(parts).toEqual(all);
    expect(train.featureNames).toEqual(data.featureNames);
  });

  it("is deterministic for a seed", () => {
    expect(splitDataset(data, 0.25, 1)).toEqual(splitDataset(data, 0.25, 1));
    expect(splitDataset(data, 0.25, 2).validation.features).not.toEqual(splitDataset(data, 0.25, 1).validation.features);
  });

  it("does not mutate its input", () => {
    const copy = structuredClone(data);
    const { train } = splitDataset(data, 0.5, 3);
    train.features[0]![0] = -1;
    expect(data).toEqual(copy);
  });
});
