import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareBody, compareLocal } from "./fixtures/core.js";
import { runDriver, startCluster, TEST_BROKER, type Cluster } from "./helpers/cluster.js";

const FIXTURE = "test/fixtures/core.ts";

describe("core: works and workflows through a server and pilots", () => {
  let cluster: Cluster;
  const run = (name: string, ...args: string[]) =>
    runDriver(`${FIXTURE}#${name}`, args, { url: cluster.url, token: cluster.credentials.userToken });

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("runs a single job and returns its value", async () => {
    const r = await run("single", "12");
    expect(r.stderr).toMatch(/workflow \d+ finished/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toBe(144);
  });

  it("runs a map of 50 jobs as one task and returns the values in input order", async () => {
    const r = await run("map50");
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
    const wf = await cluster.api("GET", `/api/v1/workflows/${r.workflowId}`);
    expect(wf.body.status).toBe("finished");
    expect(wf.body.bundleHash).toMatch(/^[0-9a-f]{64}$/);
    expect(wf.body.nodeVersion).toBe(process.version);
    expect(wf.body.lockfileHash).toMatch(/^[0-9a-f]{64}$/);
    expect(wf.body.tasks).toHaveLength(1);
    expect(wf.body.tasks[0]).toMatchObject({ work: "square", status: "done", nJobs: 50, nFinished: 50, nFailed: 0 });
    // With a broker the results travel through it; without one, over REST.
    const results = await cluster.api("GET", `/api/v1/tasks/${wf.body.tasks[0].id}/results?limit=100`);
    expect(new Set(results.body.results.map((x: { via: string }) => x.via))).toEqual(new Set([TEST_BROKER ? "broker" : "rest"]));
  });

  it("keys a MapResult by the sha1 of each entry, with per-job details", async () => {
    const r = await run("mapKeys");
    expect(r.code, r.stderr).toBe(0);
    const v = r.value as any;
    expect(v.size).toBe(3);
    expect(v.got).toEqual([10, 20, 30]);
    expect(v.values).toEqual([10, 20, 30]);
    // sha1 of Python's json.dumps([{"x": 1}, {"scale": 10}], sort_keys=True)
    expect(v.keys[0]).toMatch(/^[0-9a-f]{40}$/);
    expect(new Set(v.keys).size).toBe(3);
    for (const d of v.details) {
      expect(d).toMatchObject({ state: "finished", attempts: 1, queue: "local", hasTimes: true, error: null });
      expect(d.pilot).toMatch(/^pilot-\d$/);
    }
    expect(v.failed).toEqual([]);
  });

  it("applies multiJobsKwargsList and preKwargs with iDDS precedence", async () => {
    const r = await run("kwargs");
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({
      list: [
        { sum: 1 + 10 + 3, tag: "pre" },
        { sum: 1 + 20 + 3, tag: "entry" },
        { sum: 5 + 5, tag: null },
      ],
      single: { sum: 1 + 2 + 7, tag: null },
    });
  });

  it("leaves failed jobs out of list results, rejects when all fail, and carries the remote error", async () => {
    const r = await run("partial");
    expect(r.code, r.stderr).toBe(0);
    const v = r.value as any;
    expect(v.values).toEqual([1, 4, 16]);
    expect(v.allFailed.name).toBe("TaskFailedError");
    expect(v.allFailed.message).toMatch(/all 2 job\(s\) of task \d+ \(fail\) failed/);
    expect(v.single).toMatchObject({ name: "JobError", message: "single boom", attempts: 2, code: "user_error" });
    expect(v.single.jobId).toBeGreaterThan(0);
    expect(v.single.remoteStack).toContain("single boom");
    expect(v.single.remoteStack).toContain("core.ts");
  });

  it("retries a failed attempt as a new attempt", async () => {
    const r = await run("retried");
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({ x: 7, attempt: 2 });
  });

  it("gives two concurrent tasks of one workflow only their own results", async () => {
    const r = await run("concurrent");
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({
      a: Array.from({ length: 30 }, (_, i) => i * i),
      b: Array.from({ length: 30 }, (_, i) => `s${i}`),
    });
  });

  it("round-trips Date, BigInt, Map, Set, typed arrays, undefined, NaN and Infinity through a job", async () => {
    const r = await run("roundTrip");
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({ date: true, big: true, map: true, set: true, bytes: true, missing: true, nan: true, inf: true });
  });

  it("keeps each job's stdout and stderr", async () => {
    const r = await run("logs");
    expect(r.code, r.stderr).toBe(0);
    const wf = await cluster.api("GET", `/api/v1/workflows/${r.workflowId}`);
    const jobs = await cluster.api("GET", `/api/v1/tasks/${wf.body.tasks[0].id}/jobs`);
    const job = await cluster.api("GET", `/api/v1/jobs/${jobs.body.jobs[0].id}`);
    expect(job.body.attempts[0].stdout).toBe("line 0\nline 1\nline 2\n");
    expect(job.body.attempts[0].stderr).toBe("to stderr\n");
  });

  it("gives the same values in distributed, distributed: false and outside-a-workflow modes", async () => {
    const r = await run("compareDistributed");
    expect(r.code, r.stderr).toBe(0);
    const inProcess = await compareLocal();
    const plain = await compareBody();
    expect(inProcess).toEqual(r.value);
    expect(plain).toEqual(r.value);
    expect(r.value).toEqual({
      one: 81,
      many: [1, 4, 9],
      kw: [
        { sum: 12, tag: null },
        { sum: 13, tag: null },
      ],
      keyed: [6],
      partialValues: [1, 9],
    });
  });
});
