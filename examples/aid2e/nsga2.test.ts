import { describe, expect, it } from "vitest";
import { mulberry32 } from "pando/optimize";
import { Nsga2, crowdingDistance, latinHypercube, nonDominatedSort, polynomialMutation, sbx, type Bounds } from "./nsga2.js";
import { hypervolume, paretoFront } from "./pareto.js";

/** ZDT1 with n variables in [0, 1]: its Pareto front is f2 = 1 − √f1 (every variable but the first at 0). */
function zdt1(x: readonly number[]): number[] {
  const g = 1 + (9 * x.slice(1).reduce((s, v) => s + v, 0)) / (x.length - 1);
  return [x[0]!, g * (1 - Math.sqrt(x[0]! / g))];
}

function runZdt1(seed: number, generations: number): { hypervolumes: number[]; front: number[][] } {
  const optimiser = new Nsga2(
    Array.from({ length: 10 }, () => ({ low: 0, high: 1 })),
    { populationSize: 40, seed },
  );
  const hypervolumes: number[] = [];
  for (let g = 0; g < generations; g++) {
    optimiser.tell(optimiser.ask().map((x) => ({ x, objectives: zdt1(x) })));
    hypervolumes.push(hypervolume(optimiser.parents.map((p) => p.objectives), [1.1, 1.1]));
  }
  return { hypervolumes, front: paretoFront(optimiser.parents, (p) => p.objectives).map((p) => p.objectives) };
}

describe("nonDominatedSort", () => {
  it("ranks a known set into its fronts", () => {
    const points = [
      [1, 5],
      [2, 4],
      [3, 3],
      [2, 5],
      [4, 4],
      [5, 5],
      [0, 9],
    ];
    expect(nonDominatedSort(points)).toEqual([[0, 1, 2, 6], [3, 4], [5]]);
  });

  it("puts equal points in the same front and handles three objectives", () => {
    const points = [
      [1, 1, 1],
      [1, 1, 1],
      [0, 2, 2],
      [2, 2, 2],
      [3, 3, 3],
    ];
    expect(nonDominatedSort(points)).toEqual([[0, 1, 2], [3], [4]]);
  });
});

describe("crowdingDistance", () => {
  it("sums the normalised gaps between neighbours, with infinite extremes", () => {
    const points = [
      [0, 4],
      [1, 2],
      [2, 1],
      [4, 0],
    ];
    expect(crowdingDistance(points, [0, 1, 2, 3])).toEqual([Infinity, 1.25, 1.25, Infinity]);
    expect(crowdingDistance(points, [1, 2])).toEqual([Infinity, Infinity]);
  });
});

describe("variation operators", () => {
  const bounds: Bounds[] = [
    { low: 0, high: 1 },
    { low: -5, high: 5 },
    { low: 10, high: 20 },
  ];

  it("keep children within bounds, and SBX puts its children either side of the parents' midpoint", () => {
    const random = mulberry32(9);
    for (let trial = 0; trial < 2000; trial++) {
      const a = bounds.map(({ low, high }) => low + random() * (high - low));
      const b = bounds.map(({ low, high }) => low + random() * (high - low));
      const [c, d] = sbx(a, b, bounds, 15, random);
      for (const child of [c, d, polynomialMutation(c, bounds, 1, 20, random)]) {
        child.forEach((v, i) => {
          expect(v).toBeGreaterThanOrEqual(bounds[i]!.low);
          expect(v).toBeLessThanOrEqual(bounds[i]!.high);
        });
      }
      c.forEach((v, i) => {
        const pair = [v, d[i]!].sort((p, q) => p - q);
        const parents = [a[i]!, b[i]!].sort((p, q) => p - q);
        // A variable is either left as it was (the parents' values, possibly swapped) or crossed.
        if (pair[0] !== parents[0] || pair[1] !== parents[1]) {
          const midpoint = (a[i]! + b[i]!) / 2;
          expect(pair[0]!).toBeLessThanOrEqual(midpoint + 1e-12);
          expect(pair[1]!).toBeGreaterThanOrEqual(midpoint - 1e-12);
        }
      });
    }
  });

  it("mutate nothing with probability 0, and stay close to the parent for a large index", () => {
    const random = mulberry32(2);
    const x = [0.5, 0, 15];
    expect(polynomialMutation(x, bounds, 0, 20, random)).toEqual(x);
    const moved = Array.from({ length: 500 }, () => polynomialMutation(x, bounds, 1, 100, random)[0]!);
    const meanShift = moved.reduce((s, v) => s + Math.abs(v - 0.5), 0) / moved.length;
    expect(meanShift).toBeGreaterThan(0);
    expect(meanShift).toBeLessThan(0.02);
  });

  it("latin hypercube samples use every stratum of every variable once", () => {
    const sample = latinHypercube(bounds, 8, mulberry32(4));
    expect(sample).toHaveLength(8);
    bounds.forEach(({ low, high }, i) => {
      const strata = sample.map((x) => Math.floor(((x[i]! - low) / (high - low)) * 8)).sort((a, b) => a - b);
      expect(strata).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    });
  });
});

describe("Nsga2", () => {
  it("approaches the true front of ZDT1", () => {
    const { hypervolumes, front } = runZdt1(1, 100);
    // The continuous front's hypervolume up to (1.1, 1.1) is 1.21 − 1/3 ≈ 0.877; 40 points reach a little less.
    expect(hypervolumes.at(-1)!).toBeGreaterThan(0.85);
    expect(hypervolumes[9]!).toBeLessThan(hypervolumes.at(-1)!);
    expect(front.length).toBeGreaterThanOrEqual(30);
    for (const [f1, f2] of front) expect(f2! - (1 - Math.sqrt(f1!))).toBeLessThan(0.05);
  });

  it("is deterministic for a seed", () => {
    expect(runZdt1(7, 5)).toEqual(runZdt1(7, 5));
    expect(runZdt1(7, 5)).not.toEqual(runZdt1(8, 5));
  });

  it("keeps the best of parents and offspring (elitism), and accepts partial generations", () => {
    const optimiser = new Nsga2([{ low: 0, high: 1 }], { populationSize: 2, seed: 1 });
    optimiser.tell([
      { x: [0.1], objectives: [1, 1] },
      { x: [0.2], objectives: [5, 5] },
    ]);
    optimiser.tell([{ x: [0.3], objectives: [3, 3] }]);
    expect(optimiser.parents.map((p) => p.x[0])).toEqual([0.1, 0.3]);
    optimiser.tell([{ x: [0.4], objectives: [9, 9] }]);
    expect(optimiser.parents.map((p) => p.x[0])).toEqual([0.1, 0.3]);
    expect(optimiser.ask()).toHaveLength(2);
  });

  it("refuses bad bounds and population sizes", () => {
    expect(() => new Nsga2([], { populationSize: 4, seed: 1 })).toThrow(/at least one variable/);
    expect(() => new Nsga2([{ low: 1, high: 1 }], { populationSize: 4, seed: 1 })).toThrow(/must be above low/);
    expect(() => new Nsga2([{ low: 0, high: 1 }], { populationSize: 1, seed: 1 })).toThrow(/populationSize/);
  });
});
