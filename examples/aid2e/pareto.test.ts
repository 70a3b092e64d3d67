import { describe, expect, it } from "vitest";
import { mulberry32 } from "pando/optimize";
import { dominates, hypervolume, nonDominatedIndices, paretoFront } from "./pareto.js";

/** Hypervolume by inclusion and exclusion over every subset of boxes: slow, but independent of the sweep. */
function inclusionExclusion(points: number[][], reference: number[]): number {
  let total = 0;
  for (let mask = 1; mask < 1 << points.length; mask++) {
    const chosen = points.filter((_, i) => mask & (1 << i));
    const corner = reference.map((_, k) => Math.max(...chosen.map((p) => p[k]!)));
    const volume = reference.reduce((v, r, k) => v * Math.max(0, r - corner[k]!), 1);
    total += (chosen.length % 2 === 1 ? 1 : -1) * volume;
  }
  return total;
}

describe("dominates", () => {
  it("needs no worse everywhere and better somewhere", () => {
    expect(dominates([1, 2], [2, 2])).toBe(true);
    expect(dominates([1, 1, 1], [1, 1, 2])).toBe(true);
    expect(dominates([2, 2], [1, 2])).toBe(false);
    expect(dominates([1, 3], [2, 2])).toBe(false);
    expect(dominates([2, 2], [2, 2])).toBe(false);
  });
});

describe("non-dominated filtering", () => {
  it("keeps exactly the points nothing dominates, in input order", () => {
    const points = [
      [3, 3],
      [1, 5],
      [2, 4],
      [2, 5],
      [4, 1],
      [4, 4],
    ];
    expect(nonDominatedIndices(points)).toEqual([0, 1, 2, 4]);
  });

  it("keeps one of several items with equal objectives", () => {
    const items = [
      { name: "a", f: [1, 2] },
      { name: "b", f: [2, 1] },
      { name: "c", f: [1, 2] },
      { name: "d", f: [2, 2] },
    ];
    expect(paretoFront(items, (i) => i.f).map((i) => i.name)).toEqual(["a", "b"]);
  });

  it("leaves no point of the front dominated by another", () => {
    const random = mulberry32(5);
    const points = Array.from({ length: 200 }, () => [random(), random(), random()]);
    const front = paretoFront(points, (p) => p);
    expect(front.length).toBeGreaterThan(5);
    for (const a of front) for (const b of front) expect(dominates(a, b)).toBe(false);
    for (const p of points) {
      if (!front.includes(p)) expect(front.some((q) => dominates(q, p))).toBe(true);
    }
  });
});

describe("hypervolume", () => {
  it("is exact for known two-objective sets", () => {
    expect(hypervolume([[1, 1]], [3, 4])).toBe(6);
    expect(
      hypervolume(
        [
          [1, 3],
          [2, 2],
          [3, 1],
        ],
        [4, 4],
      ),
    ).toBe(6);
    // A dominated point and one outside the reference box add nothing.
    expect(
      hypervolume(
        [
          [1, 3],
          [2, 2],
          [3, 1],
          [3, 3],
          [0, 5],
        ],
        [4, 4],
      ),
    ).toBe(6);
    expect(hypervolume([], [1, 1])).toBe(0);
  });

  it("is exact for known three-objective sets", () => {
    expect(hypervolume([[0, 0, 0]], [1, 2, 3])).toBe(6);
    // Boxes of 4 and 2 overlapping in a unit cube.
    expect(
      hypervolume(
        [
          [0, 0, 1],
          [1, 1, 0],
        ],
        [2, 2, 2],
      ),
    ).toBe(5);
    expect(
      hypervolume(
        [
          [0, 0, 1],
          [1, 1, 0],
          [1, 1, 1],
          [0.5, 3, 0],
        ],
        [2, 2, 2],
      ),
    ).toBe(5);
  });

  it("agrees with inclusion and exclusion on random sets in two and three objectives", () => {
    const random = mulberry32(11);
    for (const dims of [2, 3]) {
      for (let trial = 0; trial < 20; trial++) {
        const points = Array.from({ length: 7 }, () => Array.from({ length: dims }, () => random()));
        const reference = new Array<number>(dims).fill(1);
        expect(hypervolume(points, reference)).toBeCloseTo(inclusionExclusion(points, reference), 12);
      }
    }
  });

  it("never decreases when points are added", () => {
    const random = mulberry32(3);
    const points: number[][] = [];
    let last = 0;
    for (let i = 0; i < 60; i++) {
      points.push([random(), random(), random()]);
      const volume = hypervolume(points, [1, 1, 1]);
      // Mathematically never smaller; the sums run in another order, so allow rounding.
      expect(volume).toBeGreaterThanOrEqual(last * (1 - 1e-12));
      last = volume;
    }
  });

  it("refuses other numbers of objectives and mismatched points", () => {
    expect(() => hypervolume([[1]], [2])).toThrow(/2 or 3 objectives/);
    expect(() => hypervolume([[1, 2, 3]], [4, 4])).toThrow(/reference point has 2/);
  });
});
