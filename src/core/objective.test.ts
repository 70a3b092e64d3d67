import { describe, expect, it } from "vitest";
import { declaredValues, isBetter, objectiveField, objectiveProblem, objectiveValues, seriesValues } from "./objective.js";

describe("objective values for the HPO view", () => {
  it("takes numbers as they are and skips anything else", () => {
    expect(objectiveValues([0.5, "x", 0.7, Number.NaN, null])).toEqual({ field: "", values: [0.5, 0.7] });
  });

  it("prefers a well-known field name over the first numeric one", () => {
    expect(objectiveField({ depth: 3, auc: 0.9 })).toBe("auc");
    expect(objectiveField({ depth: 3, rate: 0.1 })).toBe("depth");
    expect(objectiveField({ name: "x" })).toBeUndefined();
    expect(objectiveField([1, 2])).toBeUndefined();
  });

  it("reads the field chosen from the first object from every result that has it", () => {
    const results = [{ auc: 0.8, depth: 2 }, { auc: 0.85 }, { depth: 4 }, 3];
    expect(objectiveValues(results)).toEqual({ field: "auc", values: [0.8, 0.85] });
  });

  it("gives nothing to plot when no result has a number", () => {
    expect(objectiveValues([{ name: "a" }, "b"])).toEqual({ field: "", values: [] });
  });

  it("reads a declared objective's field, and plain numbers as they are, whatever else the results hold", () => {
    expect(declaredValues([{ chi2: 12, auc: 0.9 }, { auc: 0.8 }, 7, "x"], "chi2")).toEqual([12, 7]);
  });

  it("calls the lower value better when minimising and the higher when maximising", () => {
    expect(isBetter("minimize", 1, 2)).toBe(true);
    expect(isBetter("maximize", 1, 2)).toBe(false);
    expect(isBetter("maximize", 2, 1)).toBe(true);
  });

  it("says what is wrong with a declared objective", () => {
    expect(objectiveProblem({ name: "auc", direction: "maximize" })).toBeUndefined();
    expect(objectiveProblem({ name: "", direction: "maximize" })).toMatch(/needs a name/);
    expect(objectiveProblem({ name: "auc", direction: "up" })).toBe('direction must be "minimize" or "maximize" (got "up")');
    expect(objectiveProblem("auc")).toMatch(/must be an object/);
  });

  it("takes a workflow's first declared objective, and only the tasks declaring it; else guesses one field for all", () => {
    const chi2 = { name: "chi2", direction: "minimize" as const };
    const declared = seriesValues([
      { objective: null, results: [1, 2] },
      { objective: chi2, results: [{ chi2: 3, auc: 0.5 }, 4] },
      { objective: { name: "auc", direction: "maximize" }, results: [{ chi2: 9, auc: 0.7 }] },
    ]);
    expect(declared).toEqual({ field: "chi2", declared: chi2, values: [[], [3, 4], []] });
    const guessed = seriesValues([
      { objective: null, results: ["checked"] },
      { objective: null, results: [{ depth: 2, auc: 0.8 }, { auc: 0.9 }] },
    ]);
    expect(guessed).toEqual({ field: "auc", declared: null, values: [[], [0.8, 0.9]] });
  });
});
