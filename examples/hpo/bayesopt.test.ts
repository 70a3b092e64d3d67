import { describe, expect, it } from "vitest";
import type { Dimension, Point } from "./bayesopt.js";
import {
  BayesOpt,
  GaussianProcess,
  cholesky,
  choleskySolve,
  expectedImprovement,
  normalCdf,
  randomSearch,
} from "./bayesopt.js";
import { mulberry32 } from "./random.js";

describe("cholesky", () => {
  const a = [
    [4, 12, -16],
    [12, 37, -43],
    [-16, -43, 98],
  ];

  it("factors a positive-definite matrix", () => {
    const l = cholesky(a, 0);
    expect(l).toEqual([
      [2, 0, 0],
      [6, 1, 0],
      [-8, 5, 3],
    ]);
  });

  it("solves linear systems", () => {
    const x = choleskySolve(cholesky(a), [1, 2, 3]);
    a.forEach((row, i) => {
      expect(row.reduce((s, v, j) => s + v * x[j]!, 0)).toBeCloseTo([1, 2, 3][i]!, 8);
    });
  });

  it("adds jitter to semi-definite matrices but rejects indefinite ones", () => {
    const singular = [
      [1, 1],
      [1, 1],
    ];
    const l = cholesky(singular);
    expect(l[1]![1]!).toBeGreaterThan(0);
    expect(l[1]![0]!).toBeCloseTo(1, 6);
    expect(() =>
      cholesky([
        [1, 2],
        [2, 1],
      ]),
    ).toThrow(/positive definite/);
  });
});

describe("GaussianProcess", () => {
  const xs = [0, 0.15, 0.3, 0.5, 0.7, 0.85, 1].map((v) => [v]);
  const ys = xs.map(([v]) => Math.sin(6 * v!));

  it("interpolates observations with small variance there and larger variance between them", () => {
    const gp = new GaussianProcess(xs, ys, { lengthScales: [0.3], noise: 1e-6 });
    xs.forEach((x, i) => {
      const post = gp.predict(x);
      expect(post.mean).toBeCloseTo(ys[i]!, 3);
      expect(post.variance).toBeLessThan(1e-4 * gp.hyper.amplitude);
    });
    const between = gp.predict([0.4]);
    expect(between.variance).toBeGreaterThan(1e-3 * gp.hyper.amplitude);
    expect(between.mean).toBeCloseTo(Math.sin(2.4), 1);
    // Far from the data the posterior reverts to the prior.
    const far = gp.predict([5]);
    expect(far.mean).toBeCloseTo(0, 3);
    expect(far.variance).toBeCloseTo(gp.hyper.amplitude, 3);
  });

  it("fits hyperparameters that beat poor choices on marginal likelihood", () => {
    const fitted = GaussianProcess.fit(xs, ys);
    for (const lengthScale of [0.01, 10]) {
      const poor = new GaussianProcess(xs, ys, { lengthScales: [lengthScale], noise: 1e-4 });
      expect(fitted.logMarginalLikelihood).toBeGreaterThan(poor.logMarginalLikelihood);
    }
    expect(fitted.hyper.lengthScales[0]!).toBeGreaterThan(0.05);
    expect(fitted.hyper.lengthScales[0]!).toBeLessThan(2);
  });
});

describe("acquisition helpers", () => {
  it("computes the normal CDF", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.0013499, 6);
    expect(normalCdf(-8)).toBeGreaterThan(0);
  });

  it("computes expected improvement", () => {
    expect(expectedImprovement(2, 0, 1, 0)).toBe(1);
    expect(expectedImprovement(0, 0, 1, 0)).toBe(0);
    // At mean == incumbent, EI = sd * pdf(0).
    expect(expectedImprovement(1, 4, 1, 0)).toBeCloseTo(2 / Math.sqrt(2 * Math.PI), 6);
    expect(expectedImprovement(1.5, 1, 1, 0)).toBeGreaterThan(expectedImprovement(0.5, 1, 1, 0));
    expect(expectedImprovement(0, 4, 1, 0)).toBeGreaterThan(expectedImprovement(0, 1, 1, 0));
  });
});

// Negative Branin: maximum -0.397887 at three points in [-5, 10] x [0, 15].
const braninSpace: Dimension[] = [
  { name: "x1", low: -5, high: 10 },
  { name: "x2", low: 0, high: 15 },
];
function negativeBranin(p: Point): number {
  const x1 = p.x1!;
  const x2 = p.x2!;
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return -((x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function runBayesOpt(space: Dimension[], f: (p: Point) => number, seed: number, batches: number, batch: number): BayesOpt {
  const opt = new BayesOpt(space, { seed });
  for (let i = 0; i < batches; i++) for (const p of opt.suggest(batch)) opt.register(p, f(p));
  return opt;
}

describe("BayesOpt", () => {
  it("beats random search on negative Branin with the same budget", () => {
    const seeds = [1, 2, 3, 4, 5];
    const bo = seeds.map((seed) => runBayesOpt(braninSpace, negativeBranin, seed, 6, 4).best()!.value);
    const random = seeds.map((seed) => Math.max(...randomSearch(braninSpace, 24, mulberry32(seed)).map(negativeBranin)));
    expect(median(bo)).toBeGreaterThan(median(random));
    expect(median(bo)).toBeGreaterThan(-0.6);
  }, 30_000);

  const mixedSpace: Dimension[] = [
    { name: "rate", low: 1e-4, high: 1, log: true },
    { name: "depth", low: 1, high: 12, integer: true },
    { name: "count", low: 10, high: 1000, log: true, integer: true },
    { name: "fraction", low: -1, high: 1 },
  ];
  // Peak at rate 1e-2, depth 7, count 100, fraction 0.3 (smooth in log-rate and log-count).
  const mixedObjective = (p: Point): number =>
    -((Math.log10(p.rate!) + 2) ** 2) - ((p.depth! - 7) / 4) ** 2 - (Math.log10(p.count!) - 2) ** 2 - (p.fraction! - 0.3) ** 2;

  it("respects bounds, integers and log scale, and optimises in them", () => {
    const opt = runBayesOpt(mixedSpace, mixedObjective, 3, 6, 5);
    expect(opt.observations).toHaveLength(30);
    for (const { point } of opt.observations) {
      expect(Object.keys(point).sort()).toEqual(["count", "depth", "fraction", "rate"]);
      for (const d of mixedSpace) {
        expect(point[d.name]!).toBeGreaterThanOrEqual(d.low);
        expect(point[d.name]!).toBeLessThanOrEqual(d.high);
        if (d.integer) expect(Number.isInteger(point[d.name]!)).toBe(true);
      }
    }
    const best = opt.best()!;
    expect(best.value).toBeGreaterThan(-0.3);
    expect(Math.abs(Math.log10(best.point.rate!) + 2)).toBeLessThan(0.5);
    const random = Math.max(...randomSearch(mixedSpace, 30, mulberry32(3)).map(mixedObjective));
    expect(best.value).toBeGreaterThan(random);
  }, 30_000);

  it("spreads initial points evenly in log space", () => {
    const opt = new BayesOpt([{ name: "rate", low: 1e-4, high: 1, log: true }], { seed: 1, initialRandom: 20 });
    const rates = opt.suggest(20).map((p) => p.rate!);
    // A Latin hypercube puts exactly one point per stratum: half of them below the geometric midpoint 1e-2,
    // where a linear-scale search would put almost none.
    expect(rates.filter((r) => r < 1e-2)).toHaveLength(10);
    expect(rates.filter((r) => r < 1e-3)).toHaveLength(5);
  });

  it("suggests distinct points within a batch, across calls and against observations", () => {
    const opt = new BayesOpt(braninSpace, { seed: 4 });
    const first = opt.suggest(6);
    for (const p of first.slice(0, 5)) opt.register(p, negativeBranin(p));
    const second = opt.suggest(8);
    const third = opt.suggest(3);
    expect(second).toHaveLength(8);
    expect(third).toHaveLength(3);
    const keys = [...first, ...second, ...third].map((p) => JSON.stringify(p));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("enumerates a small integer space without repeats", () => {
    const opt = new BayesOpt([{ name: "k", low: 0, high: 9, integer: true }], { seed: 2, initialRandom: 3 });
    const seen: number[] = [];
    for (const size of [3, 4, 3]) {
      for (const p of opt.suggest(size)) {
        seen.push(p.k!);
        opt.register(p, 10 - (p.k! - 6) ** 2);
      }
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(opt.best()).toEqual({ point: { k: 6 }, value: 10 });
  });

  it("is deterministic for a seed and independent of registration order", () => {
    const build = (order: number[]): BayesOpt => {
      const opt = new BayesOpt(braninSpace, { seed: 7 });
      const initial = opt.suggest(6);
      for (const i of order) opt.register(initial[i]!, negativeBranin(initial[i]!));
      return opt;
    };
    const a = build([0, 1, 2, 3, 4, 5]).suggest(4);
    expect(build([0, 1, 2, 3, 4, 5]).suggest(4)).toEqual(a);
    expect(build([5, 3, 1, 0, 2, 4]).suggest(4)).toEqual(a);
    // A rebuilt optimiser given the same observations suggests the same batch.
    const rebuilt = new BayesOpt(braninSpace, { seed: 7 });
    for (const { point, value } of build([0, 1, 2, 3, 4, 5]).observations) rebuilt.register(point, value);
    expect(rebuilt.suggest(4)).toEqual(a);
    const other = new BayesOpt(braninSpace, { seed: 8 });
    for (const { point, value } of build([0, 1, 2, 3, 4, 5]).observations) other.register(point, value);
    expect(other.suggest(4)).not.toEqual(a);
  });

  it("ignores non-finite values and reports the best observation", () => {
    const opt = new BayesOpt(braninSpace, { seed: 1 });
    expect(opt.best()).toBeUndefined();
    opt.register({ x1: 1, x2: 2 }, 0.5);
    opt.register({ x1: 3, x2: 4 }, NaN);
    opt.register({ x1: 5, x2: 6 }, Infinity);
    opt.register({ x1: 7, x2: 8 }, 0.9);
    expect(opt.observations).toHaveLength(2);
    expect(opt.best()).toEqual({ point: { x1: 7, x2: 8 }, value: 0.9 });
    expect(() => opt.register({ x1: 1 }, 1)).toThrow();
  });

  it("rejects invalid spaces", () => {
    expect(() => new BayesOpt([])).toThrow();
    expect(() => new BayesOpt([{ name: "a", low: 1, high: 1 }])).toThrow();
    expect(() => new BayesOpt([{ name: "a", low: 0, high: 1, log: true }])).toThrow();
    expect(() => new BayesOpt([{ name: "a", low: 0.2, high: 0.8, integer: true }])).toThrow();
    expect(() =>
      new BayesOpt([
        { name: "a", low: 0, high: 1 },
        { name: "a", low: 0, high: 2 },
      ]),
    ).toThrow();
  });
});

describe("randomSearch", () => {
  it("samples within bounds, uniformly in log space for log dimensions", () => {
    const space: Dimension[] = [
      { name: "rate", low: 1e-3, high: 10, log: true },
      { name: "depth", low: 2, high: 5, integer: true },
    ];
    const points = randomSearch(space, 2000, mulberry32(1));
    expect(points).toHaveLength(2000);
    for (const p of points) {
      expect(p.rate!).toBeGreaterThanOrEqual(1e-3);
      expect(p.rate!).toBeLessThanOrEqual(10);
      expect([2, 3, 4, 5]).toContain(p.depth);
    }
    const belowGeometricMidpoint = points.filter((p) => p.rate! < 0.1).length;
    expect(Math.abs(belowGeometricMidpoint - 1000)).toBeLessThan(100);
  });
});
