import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DesignResult } from "../examples/aid2e/aid2e.js";
import { dominates } from "../examples/aid2e/pareto.js";
import { DRIVER_QUEUES, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";

const TARGET = "examples/aid2e/aid2e.ts#design";

/** What every finished run must satisfy, whatever the mode. */
function checkResult(result: DesignResult, outputDir: string): void {
  const objectives = result.front.map((e) => [e.resolution, e.cost, 1 - e.acceptance]);
  expect(result.front.length).toBeGreaterThan(0);
  objectives.forEach((a, i) => objectives.forEach((b, j) => expect(dominates(a, b), `front design ${i} dominates design ${j}`).toBe(false)));

  // One task per iteration, in the order of the iterations.
  expect(result.history.map((h) => h.iteration)).toEqual(result.history.map((_, i) => i + 1));
  const taskIds = result.history.map((h) => h.taskId!);
  taskIds.forEach((id, i) => {
    expect(Number.isInteger(id)).toBe(true);
    if (i > 0) expect(id).toBeGreaterThan(taskIds[i - 1]!);
  });
  expect(result.iterations).toBe(result.history.length);
  expect(result.evaluations).toBe(result.history.reduce((n, h) => n + h.evaluated - h.failed, 0));

  // The front only ever grows in hypervolume (the sums may differ in their last bits as points are added).
  result.history.forEach((h, i) => {
    if (i > 0) expect(h.hypervolume).toBeGreaterThanOrEqual(result.history[i - 1]!.hypervolume * (1 - 1e-12));
  });
  expect(result.hypervolume).toBe(result.history.at(-1)!.hypervolume);
  expect(result.hypervolume).toBeGreaterThan(0);
  expect(result.history.at(-1)!.frontSize).toBe(result.front.length);

  expect(result.files).toEqual({ svg: join(outputDir, "front.svg"), csv: join(outputDir, "front.csv"), markdown: join(outputDir, "front.md") });
  expect(readFileSync(result.files.svg, "utf8")).toMatch(/^<svg [^]*<\/svg>\n$/);
  const csv = readFileSync(result.files.csv, "utf8").trimEnd().split("\n");
  expect(csv).toHaveLength(result.front.length + 1);
  expect(csv[0]).toMatch(/^layers,/);
  expect(existsSync(result.files.markdown)).toBe(true);
}

describe("the AID2E example", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), "pando-aid2e-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("runs on the embedded default: one task per generation, a non-dominated front, the plot and the tables", async () => {
    const dir = tempDir();
    const outputDir = join(dir, "out");
    const options = { maxIterations: 5, population: 10, particles: 1000, outputDir };
    const r = await runDriver(TARGET, [JSON.stringify(options)], { dataDir: join(dir, "data") });
    expect(r.code, r.stderr).toBe(0);
    const result = r.value as DesignResult;
    checkResult(result, outputDir);
    // Early generations gain far more than the default tolerance (0.3 %), so the run uses every iteration.
    expect(result.stopReason).toBe("maxIterations");
    expect(result.history.map((h) => h.taskId)).toEqual([1, 2, 3, 4, 5]);
    // A generation may repeat a design; it is evaluated once.
    for (const h of result.history) expect(h.evaluated).toBeLessThanOrEqual(10);
    expect(r.stderr).toMatch(/task 5 aid2e\.evaluate: (\d+)\/\1 jobs finished, 0 failed/);
  });

  it("refuses options it does not know, before any task", async () => {
    const dir = tempDir();
    const r = await runDriver(TARGET, ['{"populaton":8}'], { dataDir: join(dir, "data") });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown option 'populaton'");
    expect(r.stderr).not.toMatch(/task \d+ aid2e\.evaluate/);
  });

  describe("remote: the driver runs on a pilot", () => {
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await startCluster({ pilots: 1, slots: 2, queues: DRIVER_QUEUES });
      cluster.startPilot("driver-pilot", 1, "drivers");
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it("stops when the hypervolume stops growing, and its tasks are the iterations'", async () => {
      const outputDir = join(tempDir(), "out");
      // Any gain below 100 % counts as no progress: the run converges after its second iteration.
      const options = { maxIterations: 6, population: 6, particles: 500, tolerance: 1, patience: 1, outputDir };
      const r = await runDriver(TARGET, [JSON.stringify(options)], {
        url: cluster.url,
        token: cluster.credentials.userToken,
        extra: ["--remote"],
      });
      expect(r.code, r.stderr).toBe(0);
      const result = r.value as DesignResult;
      checkResult(result, outputDir);
      expect(result.stopReason).toBe("converged");
      expect(result.iterations).toBe(2);

      const wf = await cluster.api("GET", `/api/v1/workflows/${r.workflowId}`);
      expect(wf.body.status).toBe("finished");
      expect(wf.body.mode).toBe("remote");
      const tasks = wf.body.tasks as Array<{ id: number; kind: string; work: string; nJobs: number; status: string }>;
      expect(tasks.filter((t) => t.kind === "driver")).toHaveLength(1);
      const work = tasks.filter((t) => t.kind === "work");
      expect(work.map((t) => t.id)).toEqual(result.history.map((h) => h.taskId));
      expect(work.map((t) => t.nJobs)).toEqual(result.history.map((h) => h.evaluated));
      expect(work.every((t) => t.work === "aid2e.evaluate" && t.status === "done")).toBe(true);
    });
  });
});
