import { describe, expect, it } from "vitest";
import { lowerIsBetter, objectivePlot, sampleValues } from "./objective.js";

describe("objectivePlot", () => {
  it("follows the lowest loss so far", () => {
    const plot = objectivePlot({
      field: "loss",
      tasks: [
        { taskId: 1, seq: 0, work: "train", values: [4, 2, 3] },
        { taskId: 2, seq: 1, work: "check", values: [] },
        { taskId: 3, seq: 2, work: "train", values: [2.5, 1] },
        { taskId: 4, seq: 3, work: "train", values: [5] },
      ],
    })!;
    expect(plot.lowerIsBetter).toBe(true);
    expect(plot.label).toBe("loss");
    expect(plot.iterations.map((i) => [i.iteration, i.taskId])).toEqual([
      [1, 1],
      [2, 3],
      [3, 4],
    ]);
    expect(plot.best).toEqual([
      { iteration: 1, value: 2 },
      { iteration: 2, value: 1 },
      { iteration: 3, value: 1 },
    ]);
    expect([plot.min, plot.max]).toEqual([1, 5]);
  });

  it("follows the highest value so far for any other objective, plain numbers too", () => {
    const plot = objectivePlot({ field: "", tasks: [{ taskId: 1, seq: null, work: "score", values: [0.5, 0.7] }, { taskId: 2, seq: null, work: "score", values: [0.6] }] })!;
    expect(plot.label).toBe("value");
    expect(plot.lowerIsBetter).toBe(false);
    expect(plot.best.map((b) => b.value)).toEqual([0.7, 0.7]);
  });

  it("is nothing to draw without numbers", () => {
    expect(objectivePlot({ field: "", tasks: [{ taskId: 1, seq: 0, work: "w", values: [] }] })).toBeNull();
    expect(lowerIsBetter("auc")).toBe(false);
    expect(lowerIsBetter("Loss")).toBe(true);
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
