import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRIVER_QUEUES, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/durable.ts";

interface TaskView {
  id: number;
  kind: "work" | "driver";
  seq: number | null;
  status: string;
  nJobs: number;
  nFinished: number;
  createdAt: number;
  endedAt: number | null;
}

describe("remote workflows: the driver runs on a pilot", () => {
  let cluster: Cluster;
  let markers: string;
  const remote = (target: string, args: string[], extra: string[] = []) =>
    runDriver(`${FIXTURE}#${target}`, args, {
      url: cluster.url,
      token: cluster.credentials.userToken,
      extra: ["--remote", ...extra],
    });

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 2, slots: 2, queues: DRIVER_QUEUES });
    cluster.startPilot("driver-pilot", 1, "drivers");
    markers = mkdtempSync(join(tmpdir(), "pando-remote-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(markers, { recursive: true, force: true });
  });

  it("runs an HPO-shaped driver of 10 iterations × 20 points as 11 tasks and 201 jobs, iterations in order", async () => {
    const dir = join(markers, "hpo");
    const r = await remote("search", [dir, "10", "20", "0"]);
    expect(r.code, r.stderr).toBe(0);
    const value = r.value as { best: number; history: Array<{ iteration: number }> };
    expect(value.history.map((h) => h.iteration)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(value.best).toBeLessThan(0.01);

    const wf = await cluster.api("GET", `/api/v1/workflows/${r.workflowId}`);
    expect(wf.body.status).toBe("finished");
    expect(wf.body.mode).toBe("remote");
    const tasks = wf.body.tasks as TaskView[];
    expect(tasks).toHaveLength(11);
    expect(tasks.reduce((n, t) => n + t.nJobs, 0)).toBe(201);
    const driver = tasks.filter((t) => t.kind === "driver");
    expect(driver).toHaveLength(1);
    expect(driver[0]!.id).toBe(wf.body.driverTaskId);
    const work = tasks.filter((t) => t.kind === "work");
    expect(work.map((t) => t.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 1; i < work.length; i++) {
      // Each iteration is submitted only once every job of the one before it has ended (the driver may
      // know that before the server does, when results come through the broker).
      const jobs = await cluster.api("GET", `/api/v1/tasks/${work[i - 1]!.id}/jobs`);
      const lastEnd = Math.max(...(jobs.body.jobs as Array<{ endedAt: number }>).map((j) => j.endedAt));
      expect(work[i]!.createdAt).toBeGreaterThanOrEqual(lastEnd);
    }
    expect(readdirSync(dir)).toHaveLength(200);
  });

  it("returns the body's value, and its error with name and message when it throws", async () => {
    const ok = await remote("remoteValue", ["3"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.value).toMatchObject({ n: 3, kind: "remote" });
    expect((ok.value as { sum: number }).sum).toBeCloseTo(0.09 + 0.49 + 2.89, 10);

    const bad = await remote("remoteThrows", ['"no convergence"']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("no convergence");
    const wf = await cluster.api("GET", `/api/v1/workflows/${bad.workflowId}`);
    expect(wf.body.status).toBe("failed");
    expect(wf.body.error).toMatchObject({ name: "RangeError", message: "no convergence" });
    // The body's error is the workflow's; the driver task itself did its job (it recorded the outcome). Its
    // own end may reach the server's copy a moment after the workflow's (through the broker).
    const driver = await until("the driver job's end to be recorded", async () => {
      const now = await cluster.api("GET", `/api/v1/workflows/${bad.workflowId}`);
      const task = (now.body.tasks as TaskView[]).find((t) => t.kind === "driver")!;
      return task.status === "running" ? undefined : task;
    });
    expect(driver.nFinished).toBe(1);
  });

  it("detaches, and a detached workflow can be followed and cancelled through the API", async () => {
    const detached = await remote("slowDriver", [JSON.stringify(join(markers, "slow")), "60000"], ["--detach"]);
    expect(detached.code, detached.stderr).toBe(0);
    const { id, monitorUrl } = detached.value as { id: number; monitorUrl: string };
    expect(monitorUrl).toBe(`${cluster.url}/#/workflows/${id}`);
    await until("the driver's work call", async () => {
      const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
      return (wf.body.tasks as TaskView[]).some((t) => t.kind === "work") ? true : undefined;
    });
    const killed = await cluster.api("POST", `/api/v1/workflows/${id}/kill`, {});
    expect(killed.status).toBe(200);
    expect(killed.body.status).toBe("cancelled");
    const final = await until("every task to end", async () => {
      const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
      return (wf.body.tasks as TaskView[]).every((t) => t.status === "cancelled") ? wf.body : undefined;
    });
    expect((final.tasks as TaskView[]).map((t) => t.kind).sort()).toEqual(["driver", "work"]);
  });

  it("long-polls a workflow until it ends", async () => {
    const detached = await remote("remoteValue", ["2"], ["--detach"]);
    const { id } = detached.value as { id: number };
    const wf = await cluster.api("GET", `/api/v1/workflows/${id}?waitMs=60000`);
    expect(wf.body.status).toBe("finished");
    expect(wf.body.result).not.toBeNull();
  });

  it("waits on a task with a time limit, then cancels it", async () => {
    const r = await remote("impatient", ["60000"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({ timedOut: "TimeoutError", cancelled: "killed" });
  });

  it("gives user code on pilots no credentials: neither the driver nor a job sees a token", async () => {
    const r = await remote("snoop", []);
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({ driver: { token: null, server: null }, job: { token: null, server: null } });
  });

  it("a script that submits its workflow at the top level runs it once: the driver's pilot does not submit again", async () => {
    const before = (await cluster.api("GET", "/api/v1/workflows?name=submit.main")).body.workflows.length as number;
    const r = await runDriver("test/fixtures/submit-script.ts", [], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("tripled: [3,6,9]");
    const after = (await cluster.api("GET", "/api/v1/workflows?name=submit.main")).body.workflows as Array<{ status: string; mode: string }>;
    expect(after).toHaveLength(before + 1);
    expect(after[0]).toMatchObject({ status: "finished", mode: "remote" });
  });

  describe("a token scoped to one workflow", () => {
    let mine: number;
    let scoped: string;
    let bob: string;
    let bobsWorkflow: number;
    let bobsTask: number;

    beforeAll(async () => {
      const r = await remote("remoteValue", ["1"], ["--detach"]);
      mine = (r.value as { id: number }).id;
      const t = await cluster.api("POST", "/api/v1/tokens", { name: "scoped", workflowId: mine });
      expect(t.status).toBe(201);
      scoped = t.body.token;
      const b = await cluster.api("POST", "/api/v1/tokens", { name: "bob's", user: "bob" });
      expect(b.status).toBe(201);
      bob = b.body.token;
      const wf = await cluster.api("POST", "/api/v1/workflows", { name: "bobs" }, bob);
      bobsWorkflow = wf.body.id;
      const code = new TextEncoder().encode("export {};\n");
      const hash = createHash("sha256").update(code).digest("hex");
      const put = await fetch(`${cluster.url}/api/v1/bundles/${hash}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${bob}`, "content-type": "application/octet-stream" },
        body: code,
      });
      expect(put.status).toBeLessThan(300);
      const task = await cluster.api(
        "POST",
        `/api/v1/workflows/${bobsWorkflow}/tasks`,
        { work: "nothing", bundleHash: hash, queue: "drivers", jobs: [{ key: "a", args: "[]" }] },
        bob,
      );
      expect(task.status).toBe(201);
      bobsTask = task.body.id;
    });

    it("reads its own workflow", async () => {
      const own = await cluster.api("GET", `/api/v1/workflows/${mine}`, undefined, scoped);
      expect(own.status).toBe(200);
    });

    it("cannot add tasks to another workflow", async () => {
      const r = await cluster.api(
        "POST",
        `/api/v1/workflows/${bobsWorkflow}/tasks`,
        { work: "x", bundleHash: "0".repeat(64), jobs: [{ key: "a", args: "[]" }] },
        scoped,
      );
      expect(r.status).toBe(403);
      expect(r.body.error.message).toBe(`this token is scoped to workflow ${mine} and cannot access workflow ${bobsWorkflow}`);
    });

    it("cannot read another user's results or jobs", async () => {
      const results = await cluster.api("GET", `/api/v1/tasks/${bobsTask}/results`, undefined, scoped);
      expect(results.status).toBe(403);
      expect(results.body.error.message).toContain(`scoped to workflow ${mine}`);
      const wf = await cluster.api("GET", `/api/v1/workflows/${bobsWorkflow}`, undefined, scoped);
      expect(wf.status).toBe(403);
    });

    it("cannot cancel anything outside its workflow", async () => {
      const task = await cluster.api("POST", `/api/v1/tasks/${bobsTask}/kill`, {}, scoped);
      expect(task.status).toBe(403);
      expect(task.body.error.message).toContain(`scoped to workflow ${mine}`);
      const wf = await cluster.api("POST", `/api/v1/workflows/${bobsWorkflow}/kill`, {}, scoped);
      expect(wf.status).toBe(403);
      const after = await cluster.api("GET", `/api/v1/tasks/${bobsTask}`, undefined, bob);
      expect(after.body.status).not.toBe("cancelled");
    });

    it("cannot create workflows or tokens", async () => {
      const wf = await cluster.api("POST", "/api/v1/workflows", { name: "escape" }, scoped);
      expect(wf.status).toBe(403);
      expect(wf.body.error.message).toMatch(/^this token is scoped to workflow \d+ and cannot call POST \/api\/v1\/workflows; use a user token$/);
      const token = await cluster.api("POST", "/api/v1/tokens", { name: "more" }, scoped);
      expect(token.status).toBe(403);
    });

    it("is not an administrator's token even when its owner is one", async () => {
      const bobs = await cluster.api("GET", `/api/v1/tasks/${bobsTask}`, undefined, scoped);
      expect(bobs.status).toBe(403);
      const admin = await cluster.api("GET", `/api/v1/tasks/${bobsTask}`);
      expect(admin.status).toBe(200);
    });

    it("other users cannot read the workflow either", async () => {
      const r = await cluster.api("GET", `/api/v1/workflows/${mine}`, undefined, bob);
      expect(r.status).toBe(403);
      expect(r.body.error.message).toContain("belongs to another user");
    });
  });
});

describe("asCompleted in a remote driver", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // A fresh pilot holds one job per slot, so the four jobs run side by side.
    cluster = await startCluster({ pilots: 1, slots: 4 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("yields each job's outcome in the order the jobs end, and the awaited list in input order", async () => {
    const r = await runDriver(`${FIXTURE}#streamed`, ["[3000, 2000, 1000, 0]"], {
      url: cluster.url,
      token: cluster.credentials.userToken,
      extra: ["--remote"],
    });
    expect(r.code, r.stderr).toBe(0);
    const value = r.value as { order: number[]; ended: number[]; values: number[] };
    expect(value.order).toEqual([3, 2, 1, 0]);
    expect(value.ended).toEqual([...value.ended].sort((a, b) => a - b));
    expect(value.values).toEqual([0, 1, 2, 3]);
  });

});
