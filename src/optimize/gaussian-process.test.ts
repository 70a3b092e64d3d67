import { describe, expect, it } from "vitest";
import { expectedImprovement } from "./acquisition.js";
import { GaussianProcess } from "./gaussian-process.js";
import { cholesky, solveLower, solveUpper } from "./linear-algebra.js";
import { SeededRandom } from "./random.js";
import { TEST_FUNCTIONS } from "./test-functions.js";

describe("Gaussian process", () => {
  it("fits a smooth function: close at the data, uncertain far from it, with the length scale of the relevant input shorter", () => {
    const random = new SeededRandom(1);
    const x = Array.from({ length: 25 }, () => [random.uniform(), random.uniform()]);
    const y = x.map(([a]) => Math.sin(6 * a!));
    const gp = GaussianProcess.fit(x, y, new SeededRandom(2));
    for (const [i, xi] of x.entries()) expect(gp.predict(xi).mean).toBeCloseTo(y[i]!, 1);
    expect(gp.predict([0.37, 0.5]).mean).toBeCloseTo(Math.sin(6 * 0.37), 1);
    expect(gp.hyper.lengthScales[0]!).toBeLessThan(gp.hyper.lengthScales[1]!);
    expect(gp.predict([3, 3]).variance).toBeGreaterThan(100 * gp.predict(x[0]!).variance);
  });

  it("solves with its Cholesky factor", () => {
    const a = [[4, 2], [2, 3]];
    const l = cholesky(a);
    expect(solveUpper(l, solveLower(l, [2, 1]))).toEqual([0.5, 0]);
    expect(() => cholesky([[1, 2], [2, 1]], 0)).toThrow(/not positive definite/);
  });

  it("expects more improvement from a lower mean or a wider posterior", () => {
    expect(expectedImprovement(0, 1, 0)).toBeGreaterThan(expectedImprovement(0, 0.25, 0));
    expect(expectedImprovement(-1, 1, 0)).toBeGreaterThan(expectedImprovement(0, 1, 0));
    expect(expectedImprovement(1, 0, 0)).toBe(0);
  });
});

describe("test functions", () => {
  it("take their known minima at their known minimisers", () => {
    const [branin, hartmann6, rosenbrock5] = TEST_FUNCTIONS;
    expect(branin!.evaluate({ x1: Math.PI, x2: 2.275 })).toBeCloseTo(branin!.minimum, 5);
    const h = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573];
    expect(hartmann6!.evaluate(Object.fromEntries(h.map((v, i) => [`x${i + 1}`, v])))).toBeCloseTo(hartmann6!.minimum, 4);
    expect(rosenbrock5!.evaluate({ x1: 1, x2: 1, x3: 1, x4: 1, x5: 1 })).toBe(0);
  });
});
