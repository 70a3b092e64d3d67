import { describe, expect, it } from "vitest";
import type { JobValues } from "../../src/api/monitoring.js";
import { parameterChoices, parameterPoints } from "./parameter-view.js";

const job = (id: number, args: JobValues["args"], result: JobValues["result"]): JobValues => ({ id, taskId: 1, index: id, state: "finished", endedAt: 1, args, result });

const rows = [
  job(1, { lr: 0.1, opt: "sgd" }, { chi2: 4 }),
  job(2, { lr: 0.01, opt: "adam" }, { chi2: 1 }),
  job(3, { lr: 0.3, opt: "adam" }, { chi2: 9 }),
  job(4, { opt: "sgd" }, { chi2: 2 }),
  job(5, { lr: 0.2 }, {}),
];

describe("the parameter view", () => {
  it("offers every argument a finished job has", () => {
    expect(parameterChoices(rows)).toEqual(["lr", "opt"]);
  });

  it("draws one point per job with the argument and the objective, and marks the best in its direction", () => {
    const low = parameterPoints(rows, "lr", "chi2", "minimize");
    expect(low.points.map((p) => [p.jobId, p.x, p.y])).toEqual([
      [1, 0.1, 4],
      [2, 0.01, 1],
      [3, 0.3, 9],
    ]);
    expect(low.points[low.best]!.jobId).toBe(2);
    const high = parameterPoints(rows, "lr", "chi2", "maximize");
    expect(high.points[high.best]!.jobId).toBe(3);
  });

  it("places a text argument's values in sorted order", () => {
    const view = parameterPoints(rows, "opt", "chi2", "minimize");
    expect(view.categories).toEqual(["adam", "sgd"]);
    expect(view.points.map((p) => p.x)).toEqual([1, 0, 0, 1]);
  });

  it("reads a plain number result as the objective", () => {
    const plain = [job(1, { x: 2 }, { value: 5 })];
    expect(parameterPoints(plain, "x", "", "minimize").points.map((p) => p.y)).toEqual([5]);
    expect(parameterPoints([], "x", "", "minimize").best).toBe(-1);
  });
});
