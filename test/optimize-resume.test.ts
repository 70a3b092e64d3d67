// A seeded study of pando/optimize drives an HPO run of the paper's shape (one task per iteration); its
// driver is SIGKILLed while iteration 2's task runs and resumed with --resume: the resumed driver asks the
// same points again (its calls attach to the tasks already submitted) and goes on to propose exactly the
// points of an uninterrupted run.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const TARGET = "test/fixtures/optimize.ts#tune";
const ITERATIONS = 4;
const POINTS = 4;

describe("an HPO run on pando/optimize, its driver SIGKILLed and resumed", () => {
  let cluster: Cluster;
  let markers: string;
  const tune = (dir: string, ms: number, extra: string[] = []) =>
    runDriver(TARGET, [dir, String(ITERATIONS), String(POINTS), String(ms)], { url: cluster.url, token: cluster.credentials.userToken, extra });

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 2, slots: 2 });
    markers = mkdtempSync(join(tmpdir(), "pando-optimize-resume-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(markers, { recursive: true, force: true });
  });

  it("proposes after the resume the points an uninterrupted run proposes, and runs none twice", async () => {
    const reference = await tune(join(markers, "reference"), 0);
    expect(reference.code, reference.stderr).toBe(0);
    const points = (reference.value as { points: unknown[] }).points;
    expect(points).toHaveLength(ITERATIONS * POINTS);

    const dir = join(markers, "killed");
    const first = tune(dir, 1500);
    const id = await first.started;
    await until("iteration 2's task to be submitted", async () => {
      const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
      return (wf.body.tasks as Array<{ seq: number }>).some((t) => t.seq === 1) ? true : undefined;
    });
    first.proc.kill("SIGKILL");
    await first;

    const resumed = await tune(dir, 1500, ["--resume", String(id)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.workflowId).toBe(id);
    expect(resumed.value).toEqual(reference.value);
    const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
    expect(wf.body.status).toBe("finished");
    // One task per iteration, none submitted twice, and every point scored once.
    expect((wf.body.tasks as Array<{ seq: number }>).map((t) => t.seq)).toEqual([0, 1, 2, 3]);
    expect(existsSync(dir) ? readdirSync(dir) : []).toHaveLength(ITERATIONS * POINTS);
  });
});
