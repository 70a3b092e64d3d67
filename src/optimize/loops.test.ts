import { describe, expect, it } from "vitest";
import { runAsyncLoop } from "./async-loop.js";
import { runBatchLoop } from "./batch-loop.js";
import { randomSampler } from "./random-sampler.js";
import { float } from "./space.js";
import { createStudy } from "./study.js";

const make = () => createStudy({ space: { x: float(0, 1) }, objective: { name: "y", direction: "maximize" }, sampler: randomSampler(), seed: 3 });

describe("runBatchLoop", () => {
  it("evaluates each iteration's batch in one call and tells its values in order, a missing one as failed", async () => {
    const study = make();
    const calls: number[] = [];
    const history = await runBatchLoop(study, {
      iterations: 3,
      batchSize: 4,
      evaluate: async (points) => {
        calls.push(points.length);
        return points.map((p, i) => (i === 3 ? undefined : { y: p.x as number }));
      },
    });
    expect(calls).toEqual([4, 4, 4]);
    expect(history.map((h) => [h.iteration, h.failed, h.trialIds])).toEqual([
      [1, 1, [0, 1, 2, 3]],
      [2, 1, [4, 5, 6, 7]],
      [3, 1, [8, 9, 10, 11]],
    ]);
    const complete = study.trials().filter((t) => t.state === "complete");
    expect(history[2]!.bestValue).toBe(Math.max(...complete.map((t) => t.value!)));
    await expect(runBatchLoop(make(), { iterations: 1, batchSize: 2, evaluate: async () => [1] })).rejects.toThrow(/returned 1 values for 2 points/);
  });
});

describe("runAsyncLoop", () => {
  it("keeps `concurrency` evaluations in flight and asks a new point as soon as one finishes", async () => {
    const study = make();
    let inFlight = 0;
    let most = 0;
    const result = await runAsyncLoop(study, {
      evaluations: 10,
      concurrency: 3,
      evaluate: async (params, id) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, (id % 3) * 2));
        inFlight--;
        if (id === 4) throw new Error("diverged");
        return params.x as number;
      },
    });
    expect(result).toEqual({ completed: 9, failed: 1 });
    expect(most).toBe(3);
    expect(study.trials().map((t) => t.state).filter((s) => s === "running")).toEqual([]);
    expect(study.trials()[4]!.error).toBe("diverged");
  });
});
