import { describe, expect, it } from "vitest";
import { SPACE, VALIDATION_EVENTS, evaluate, search } from "./hpo.js";
import { PYTHON_SPACE } from "./python-objective.js";

// Outside a workflow, work calls run in this process: the loop itself, without a server.
describe("search", () => {
  const small = { iterations: 2, points: 3, seed: 1, trainEvents: 150 };

  it("spends the same budget with either strategy: iterations × points evaluations, one batch per iteration", async () => {
    for (const strategy of ["bayes", "random"] as const) {
      const r = await search({ ...small, strategy });
      expect(r.strategy).toBe(strategy);
      expect(r.evaluations).toBe(6);
      expect(r.history.map((h) => h.iteration)).toEqual([1, 2]);
      expect(r.history.every((h) => h.failed === 0 && h.taskId === null && h.proposeSeconds >= 0)).toBe(true);
      expect(r.bestAuc).toBe(r.history[1]!.bestSoFar);
      expect(r.history[1]!.bestSoFar).toBeGreaterThanOrEqual(r.history[0]!.bestSoFar);
      expect(r.bestAuc!).toBeGreaterThan(0.6);
      expect(Object.keys(r.bestParams!).sort()).toEqual(Object.keys(SPACE).sort());
    }
  }, 60_000);

  it("runs the same loop on the Python objective, each evaluation a python3 process of a command work", async () => {
    const r = await search({ ...small, points: 2, strategy: "bayes", objective: "python" });
    expect(r.objective).toBe("python");
    expect(r.evaluations).toBe(4);
    expect(r.history.every((h) => h.failed === 0)).toBe(true);
    expect(r.bestAuc!).toBeGreaterThan(0.7);
    expect(r.bestAuc!).toBeLessThan(1);
    expect(Object.keys(r.bestParams!).sort()).toEqual(Object.keys(PYTHON_SPACE).sort());
  }, 60_000);

  it("refuses options it cannot run, before any evaluation", async () => {
    await expect(search({ ...small, strategy: "grid" as "bayes" })).rejects.toThrow(/strategy must be "bayes" or "random"/);
    await expect(search({ ...small, strategy: "bayes", points: 0 })).rejects.toThrow(/points/);
    await expect(search({ ...small, strategy: "bayes", trainEvents: 10 })).rejects.toThrow(/trainEvents/);
    await expect(search({ ...small, strategy: "bayes", objective: "julia" as "python" })).rejects.toThrow(/objective must be "forest" or "python"/);
  });
});

describe("evaluate", () => {
  it("returns the validation AUC and the evaluation's wall time, the same AUC every time", async () => {
    const point = { nEstimators: 3, maxDepth: 4, minNumSamples: 5, maxFeatures: 0.5 };
    const data = { trainEvents: 150, validationEvents: VALIDATION_EVENTS, dataSeed: 42 };
    const a = await evaluate(point, data);
    const b = await evaluate(point, data);
    expect(a.auc).toBeGreaterThan(0.6);
    expect(a.auc).toBeLessThan(1);
    expect(a.seconds).toBeGreaterThan(0);
    expect(b.auc).toBe(a.auc);
  });
});
