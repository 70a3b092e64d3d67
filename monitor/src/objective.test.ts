import { describe, expect, it } from "vitest";
import { bestOf, guessedDirection, logAxisAllowed, objectivePlot, sampleValues } from "./objective.js";

const tasks = [
  { taskId: 1, seq: 0, work: "train", values: [4, 2, 3] },
  { taskId: 2, seq: 1, work: "check", values: [] },
  { taskId: 3, seq: 2, work: "train", values: [2.5, 1] },
  { taskId: 4, seq: 3, work: "train", values: [5] },
];

describe("objectivePlot", () => {
  it("takes a declared minimised objective's lowest value as best, per iteration and so far", () => {
    const plot = objectivePlot({ field: "chi2", declared: { name: "chi2", direction: "minimize" }, tasks })!;
    expect([plot.direction, plot.guessed, plot.label]).toEqual(["minimize", false, "chi2"]);
    expect(plot.iterations.map((i) => [i.iteration, i.taskId, i.best])).toEqual([
      [1, 1, 2],
      [2, 3, 1],
      [3, 4, 5],
    ]);
    expect(plot.best.map((b) => b.value)).toEqual([2, 1, 1]);
    expect([plot.min, plot.max, plot.logAllowed]).toEqual([1, 5, true]);
  });

  it("takes a declared maximised objective's highest value as best, whatever its name", () => {
    const plot = objectivePlot({ field: "loss", declared: { name: "loss", direction: "maximize" }, tasks })!;
    expect(plot.best.map((b) => b.value)).toEqual([4, 4, 5]);
  });

  it("guesses without a declaration, and says so: a loss shrinks, anything else grows", () => {
    const loss = objectivePlot({ field: "loss", declared: null, tasks })!;
    expect([loss.direction, loss.guessed]).toEqual(["minimize", true]);
    const plain = objectivePlot({ field: "", declared: null, tasks: [{ taskId: 1, seq: null, work: "score", values: [0.5, 0.7] }] })!;
    expect([plain.label, plain.direction]).toEqual(["value", "maximize"]);
    expect(guessedDirection("Loss")).toBe("minimize");
  });

  it("is nothing to draw without numbers", () => {
    expect(objectivePlot({ field: "", declared: null, tasks: [{ taskId: 1, seq: 0, work: "w", values: [] }] })).toBeNull();
  });
});

describe("the best value and the log axis", () => {
  it("finds the best in either direction", () => {
    expect(bestOf([3, -1, 2], "minimize")).toBe(-1);
    expect(bestOf([3, -1, 2], "maximize")).toBe(3);
    expect(bestOf([], "maximize")).toBeUndefined();
  });

  it("offers a log axis only when every value is above zero", () => {
    expect(logAxisAllowed([0.1, 3, 1e6])).toBe(true);
    expect(logAxisAllowed([0.1, 0])).toBe(false);
    expect(logAxisAllowed([-2, 5])).toBe(false);
    expect(logAxisAllowed([])).toBe(false);
  });
});

describe("sampleValues", () => {
  it("keeps small series whole", () => {
    expect(sampleValues([3, 1, 2], 5)).toEqual([3, 1, 2]);
  });
  it("spreads a large series evenly and keeps its extremes", () => {
    const values = Array.from({ length: 1000 }, (_, i) => 999 - i);
    const sample = sampleValues(values, 5);
    expect(sample).toEqual([0, 250, 500, 749, 999]);
    expect(sampleValues(values, 1)).toEqual([0]);
  });
});
