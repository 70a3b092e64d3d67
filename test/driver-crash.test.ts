import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRIVER_QUEUES, runDriver, startCluster, type Cluster, type PilotProcess } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/durable.ts";
const ITERATIONS = 4;
const POINTS = 5;

interface SearchValue {
  best: number;
  bestX: number;
  history: Array<{ iteration: number; best: number }>;
}

const markerCount = (dir: string) => (existsSync(dir) ? readdirSync(dir).length : 0);

/** Every (iteration, point) ran exactly once: one marker file each, none twice. */
function expectEachPointRanOnce(dir: string): void {
  const files = readdirSync(dir);
  const points = new Set(files.map((f) => f.split("-").slice(0, 2).join("-")));
  expect(points.size).toBe(ITERATIONS * POINTS);
  expect(files).toHaveLength(ITERATIONS * POINTS);
}

const comparable = (v: SearchValue) => ({ best: v.best, bestX: v.bestX, bests: v.history.map((h) => h.best) });

describe("the pilot running a remote driver is killed with SIGKILL", () => {
  let cluster: Cluster;
  let markers: string;
  let driverPilot: PilotProcess;
  let reference: SearchValue;

  const search = (dir: string) =>
    runDriver(`${FIXTURE}#search`, [dir, String(ITERATIONS), String(POINTS), "150"], {
      url: cluster.url,
      token: cluster.credentials.userToken,
      extra: ["--remote"],
    });

  beforeAll(async () => {
    cluster = await startCluster({
      pilots: 2,
      slots: 2,
      queues: DRIVER_QUEUES,
      serverArgs: ["--heartbeat-interval", "200ms", "--heartbeat-timeout", "1500ms"],
    });
    driverPilot = cluster.startPilot("drivers-0", 1, "drivers");
    markers = mkdtempSync(join(tmpdir(), "pando-driver-crash-"));
    const r = await search(join(markers, "reference"));
    expect(r.code, r.stderr).toBe(0);
    reference = r.value as SearchValue;
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(markers, { recursive: true, force: true });
  });

  // Kill points spread over the run (markers seen when the kill happens), in a shuffled order.
  const killPoints = [3, 17, 8, 12, 1];

  it.each(killPoints.map((at, i) => [i, at]))(
    "run %i: killed after %i of 20 points, the driver is retried and the result equals an uninterrupted run's",
    async (i, at) => {
      const dir = join(markers, `run-${i}`);
      const run = search(dir);
      const id = await run.started;
      await until(`${at} points to have run`, () => (markerCount(dir) >= at ? true : undefined), 60_000);
      const victim = driverPilot;
      victim.proc.kill("SIGKILL");
      driverPilot = cluster.startPilot(`drivers-${i + 1}`, 1, "drivers");

      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      expect(comparable(r.value as SearchValue)).toEqual(comparable(reference));
      expectEachPointRanOnce(dir);

      const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
      expect(wf.body.status).toBe("finished");
      const tasks = wf.body.tasks as Array<{ id: number; kind: string; seq: number | null }>;
      // Nothing was submitted twice: one driver task and one task per iteration.
      expect(tasks.filter((t) => t.kind === "work").map((t) => t.seq)).toEqual([0, 1, 2, 3]);
      const jobs = await cluster.api("GET", `/api/v1/tasks/${wf.body.driverTaskId}/jobs`);
      // The workflow ends when its body closes it; the driver job's own end may reach the server's copy a
      // moment later (through the broker).
      const attempts = await until("the driver job's end to be recorded", async () => {
        const job = await cluster.api("GET", `/api/v1/jobs/${jobs.body.jobs[0].id}`);
        const list = job.body.attempts as Array<{ state: string; pilot: string; error: { code: string } | null }>;
        return list.at(-1)?.state === "running" ? undefined : list;
      });
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts[0]).toMatchObject({ state: "failed", pilot: victim.name });
      expect(attempts[0]!.error?.code).toBe("lost_heartbeat");
      expect(attempts[attempts.length - 1]!.state).toBe("finished");
    },
  );
});

describe("a local driver killed with SIGKILL and resumed with --resume", () => {
  let cluster: Cluster;
  let markers: string;
  const local = (dir: string, extra: string[] = []) =>
    runDriver(`${FIXTURE}#localSearch`, [dir, String(ITERATIONS), String(POINTS), "300"], {
      url: cluster.url,
      token: cluster.credentials.userToken,
      extra,
    });

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 2, slots: 2 });
    markers = mkdtempSync(join(tmpdir(), "pando-resume-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(markers, { recursive: true, force: true });
  });

  it("picks up where it was: finished calls return from memory, none runs twice, same result", async () => {
    const reference = await local(join(markers, "reference"));
    expect(reference.code, reference.stderr).toBe(0);

    for (const at of [4, 13]) {
      const dir = join(markers, `killed-at-${at}`);
      const first = local(dir);
      const id = await first.started;
      await until(`${at} points to have run`, () => (markerCount(dir) >= at ? true : undefined), 60_000);
      first.proc.kill("SIGKILL");
      await first;

      const wrongArgs = await runDriver(`${FIXTURE}#localSearch`, [dir, "5", String(POINTS), "300"], {
        url: cluster.url,
        token: cluster.credentials.userToken,
        extra: ["--resume", String(id)],
      });
      expect(wrongArgs.code).toBe(1);
      expect(wrongArgs.stderr).toContain(`workflow ${id} was started with other arguments`);

      const resumed = await local(dir, ["--resume", String(id)]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.workflowId).toBe(id);
      expect(resumed.value).toEqual(reference.value);
      expectEachPointRanOnce(dir);
      const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
      expect(wf.body.status).toBe("finished");
      expect((wf.body.tasks as Array<{ seq: number }>).map((t) => t.seq)).toEqual([0, 1, 2, 3]);
    }
  });

  it("detects a driver that is not deterministic, naming the call and both argument hashes", async () => {
    const dir = join(markers, "unstable");
    const first = runDriver(`${FIXTURE}#unstable`, [dir, "3000"], { url: cluster.url, token: cluster.credentials.userToken });
    const id = await first.started;
    await until("the first call's task", async () => {
      const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
      return wf.body.tasks.length > 0 ? true : undefined;
    });
    first.proc.kill("SIGKILL");
    await first;
    const again = await runDriver(`${FIXTURE}#unstable`, [dir, "3000"], {
      url: cluster.url,
      token: cluster.credentials.userToken,
      extra: ["--resume", String(id)],
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(
        `call #0 of workflow ${id} is objective with arguments hash [0-9a-f]{16} in this run, but was objective with ` +
          "arguments hash [0-9a-f]{16} when the workflow first ran: the driver is not deterministic",
      ),
    );
    const hashes = /arguments hash ([0-9a-f]{16}) in this run, but was objective with arguments hash ([0-9a-f]{16})/.exec(again.stderr)!;
    expect(hashes[1]).not.toBe(hashes[2]);
    const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
    expect(wf.body.status).toBe("failed");
    expect(wf.body.error.message).toContain("not deterministic");
  });

  it("records a step once: a resumed driver gets the first run's value", async () => {
    const dir = join(markers, "stepped");
    const first = runDriver(`${FIXTURE}#stepped`, [dir], { url: cluster.url, token: cluster.credentials.userToken });
    const id = await first.started;
    const steps = await until("the step to be recorded", async () => {
      const r = await cluster.api("GET", `/api/v1/workflows/${id}/steps`);
      return r.body.length > 0 ? r.body : undefined;
    });
    first.proc.kill("SIGKILL");
    await first;
    const resumed = await runDriver(`${FIXTURE}#stepped`, [dir], {
      url: cluster.url,
      token: cluster.credentials.userToken,
      extra: ["--resume", String(id)],
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(steps[0]).toMatchObject({ seq: 0, name: "token" });
    expect((resumed.value as { token: string }).token).toBe(JSON.parse(steps[0].value));
    expect(readdirSync(dir)).toHaveLength(1);
  });
});

describe("a local driver that stops reporting", () => {
  let cluster: Cluster;
  let markers: string;

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 1, slots: 2, serverArgs: ["--driver-heartbeat-timeout", "2s"] });
    markers = mkdtempSync(join(tmpdir(), "pando-lost-driver-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(markers, { recursive: true, force: true });
  });

  const slow = () =>
    runDriver(`${FIXTURE}#slowDriver`, [join(markers, "slow"), "60000"], { url: cluster.url, token: cluster.credentials.userToken });

  const waitForTask = (id: number) =>
    until("the driver's task", async () => {
      const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
      return wf.body.tasks.length > 0 ? true : undefined;
    });

  it("suspends its workflow after the lost-heartbeat timeout and stops its tasks (killed with SIGKILL); it stays resumable", async () => {
    const run = slow();
    const id = await run.started;
    await waitForTask(id);
    run.proc.kill("SIGKILL");
    await run;
    const wf = await until(
      "the workflow to be suspended",
      async () => {
        const r = await cluster.api("GET", `/api/v1/workflows/${id}`);
        return r.body.status === "suspended" ? r.body : undefined;
      },
      20_000,
    );
    expect(wf.suspendReason).toContain("sent no heartbeat for 2000 ms");
    expect(wf.endedAt).toBeNull();
    expect(wf.error).toBeNull();
    expect(wf.tasks.map((t: { status: string }) => t.status)).toEqual(["cancelled"]);
    const wrong = await cluster.api("POST", `/api/v1/workflows/${id}/resume`, { name: "slowDriver", args: "[]" });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.message).toContain("was started with other arguments");
    const args = JSON.stringify([join(markers, "slow"), 60000]);
    const resume = await cluster.api("POST", `/api/v1/workflows/${id}/resume`, { name: "slowDriver", args });
    expect(resume.status).toBe(200);
    expect((await cluster.api("GET", `/api/v1/workflows/${id}`)).body).toMatchObject({ status: "running", suspendReason: null });
    expect((await cluster.api("POST", `/api/v1/workflows/${id}/kill`)).body.status).toBe("cancelled");
  });

  it("suspends its workflow at once when the driver is stopped with SIGINT", async () => {
    const run = slow();
    const id = await run.started;
    await waitForTask(id);
    run.proc.kill("SIGINT");
    const r = await run;
    expect(r.code).toBe(130);
    const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
    expect(wf.body.status).toBe("suspended");
    expect(wf.body.suspendReason).toBe("the driver was stopped by SIGINT");
    expect(wf.body.tasks.map((t: { status: string }) => t.status)).toEqual(["cancelled"]);
  });
});
