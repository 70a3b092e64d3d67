import { describe, expect, it } from "vitest";
import { defineObjective, readValue } from "./objective.js";

describe("objectives", () => {
  it("turns a maximised value into a loss to minimise, and reads constraints (feasible when ≤ 0)", () => {
    const auc = defineObjective({ name: "auc", direction: "maximize", constraints: ["latency"] });
    expect(readValue(auc, { auc: 0.9, latency: -1, other: "x" })).toEqual({ value: 0.9, loss: -0.9, constraints: [-1], feasible: true });
    expect(readValue(auc, { auc: 0.9, latency: 0.5 }).feasible).toBe(false);
    expect(readValue(defineObjective({ name: "loss", direction: "minimize" }), 3).loss).toBe(3);
  });

  it("refuses an objective or a value it cannot read, saying what to give", () => {
    expect(() => defineObjective({ name: "", direction: "minimize" })).toThrow(/name must be a non-empty string/);
    expect(() => defineObjective({ name: "x", direction: "down" as "minimize" })).toThrow(/direction must be "minimize" or "maximize"/);
    const loss = defineObjective({ name: "loss", direction: "minimize" });
    expect(() => readValue(loss, Number.NaN)).toThrow(/tellFailed/);
    expect(() => readValue(loss, { los: 1 })).toThrow(/objective "loss"/);
    expect(() => readValue(defineObjective({ name: "loss", direction: "minimize", constraints: ["c"] }), 1)).toThrow(/has constraints \(c\)/);
  });
});
