import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDriver, startCluster, type Cluster } from "./helpers/cluster.js";

interface TaskView {
  kind: string;
  work: string;
  status: string;
}

describe("the control-flow patterns of examples/patterns", () => {
  let cluster: Cluster;
  const run = (target: string, args: string[], extra: string[] = []) =>
    runDriver(`examples/patterns/${target}`, args, { url: cluster.url, token: cluster.credentials.userToken, extra });
  const tasksOf = async (id: number | undefined) =>
    (await cluster.api("GET", `/api/v1/workflows/${id}`)).body.tasks as TaskView[];

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 2, slots: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("branching: the expensive step runs only on the branch that needs it", async () => {
    const refined = await run("branching.ts#branching", ["0.6"]);
    expect(refined.code, refined.stderr).toBe(0);
    const value = refined.value as { branch: string; histogram: number[] };
    expect(value.branch).toBe("refined");
    expect(value.histogram.reduce((s, n) => s + n, 0)).toBe(2000);
    expect((await tasksOf(refined.workflowId)).map((t) => t.work)).toEqual(["simulate", "summarise", "refine"]);

    const skipped = await run("branching.ts#branching", ["0.9"]);
    expect((skipped.value as { branch: string }).branch).toBe("skipped");
    expect((await tasksOf(skipped.workflowId)).map((t) => t.work)).toEqual(["simulate", "summarise"]);
  });

  it("loop: iterates until the mean converges, two tasks per iteration", async () => {
    const r = await run("loop.ts#loop", ["1e-3"]);
    expect(r.code, r.stderr).toBe(0);
    const value = r.value as { converged: boolean; iterations: number; means: number[] };
    expect(value.converged).toBe(true);
    expect(value.iterations).toBe(4);
    expect(value.means).toHaveLength(value.iterations);
    const tasks = await tasksOf(r.workflowId);
    expect(tasks).toHaveLength(2 * value.iterations);
    expect(tasks.every((t) => t.status === "done")).toBe(true);
  });

  it("DAG: fans out to one task per branch and back in to one, locally and with a remote driver", async () => {
    const local = await run("dag.ts#dag", ["6"]);
    expect(local.code, local.stderr).toBe(0);
    expect((local.value as { n: number }).n).toBe(6000);
    const works = (await tasksOf(local.workflowId)).map((t) => t.work);
    expect(works).toEqual(["simulate", ...new Array<string>(6).fill("summarise"), "combine"]);

    const remote = await run("dag.ts#dag", ["6"], ["--remote"]);
    expect(remote.code, remote.stderr).toBe(0);
    expect(remote.value).toEqual(local.value);
    const tasks = await tasksOf(remote.workflowId);
    expect(tasks.filter((t) => t.kind === "driver")).toHaveLength(1);
    expect(tasks.filter((t) => t.kind === "work").map((t) => t.work)).toEqual(works);
  });

  it("join: a task waits on two concurrent earlier tasks; follow-ups start as inputs arrive", async () => {
    const r = await run("join.ts#join", []);
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toMatchObject({ histograms: 2, combined: { n: 6000 } });
    const works = (await tasksOf(r.workflowId)).map((t) => t.work).sort();
    expect(works).toEqual(["combine", "refine", "refine", "simulate", "simulate", "summarise"]);
  });
});
