// Names with NUL characters and numbers past the integer columns get a 4xx, and values with NUL characters
// come back exactly: the same answers on SQLite and on PostgreSQL (run in both projects).
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./helpers/cluster.js";

const NUL_VALUE = "a\u0000b\uE000c\u0000";

describe("hostile text and numbers: the same 4xx or the same round trip on every store", () => {
  let cluster: Cluster;
  let pilotToken: string;
  let hash: string;
  const wf = async (name = "hostile") => {
    const r = await cluster.api("POST", "/api/v1/workflows", { name });
    expect(r.status).toBe(201);
    return r.body.id as number;
  };
  const refused = (r: { status: number; body: any }, where: RegExp) => {
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error.message).toMatch(where);
  };

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 0 });
    pilotToken = cluster.credentials.pilotToken;
    const bytes = new TextEncoder().encode("export {};");
    hash = createHash("sha256").update(bytes).digest("hex");
    const res = await fetch(`${cluster.url}/api/v1/bundles/${hash}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${cluster.credentials.userToken}`, "content-type": "application/octet-stream" },
      body: bytes,
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("refuses NUL in names and identifiers with a 400 that says so", async () => {
    const id = await wf();
    const nul = /must not contain NUL characters/;
    refused(await cluster.api("POST", "/api/v1/tokens", { name: "t\u0000" }), nul);
    refused(await cluster.api("POST", `/api/v1/workflows/${id}/tasks`, { work: "w", bundleHash: hash, jobs: [{ key: "k\u0000", args: "[]" }] }), /body\.jobs\[0\]\.key: must not contain NUL/);
    refused(await cluster.api("PUT", `/api/v1/workflows/${id}/steps/0`, { name: "s\u0000", value: "1" }), nul);
    refused(await cluster.api("POST", "/api/v1/workflows", { name: "n", nodeVersion: "v20\u0000" }), nul);
    refused(await cluster.api("POST", "/api/v1/pilots", { queue: "local", name: "p\u0000" }, pilotToken), nul);
    refused(await cluster.api("POST", "/api/v1/pilots", { queue: "local", name: "p", host: "h\u0000" }, pilotToken), nul);
    refused(await cluster.api("GET", "/api/v1/workflows?name=a%00b"), nul);
    refused(await cluster.api("GET", "/api/v1/workflows?user=a%00b"), nul);
    // A bundle is named by its sha256: anything else is refused before any store sees it.
    expect((await cluster.api("GET", "/api/v1/bundles/a%00b")).status).toBe(400);
    expect((await cluster.api("HEAD", "/api/v1/bundles/a%00b")).status).toBe(400);
  });

  it("refuses numbers past the integer columns with a 400, and answers those within them", async () => {
    const id = await wf();
    const sub = await cluster.api("POST", `/api/v1/workflows/${id}/tasks`, { work: "w", bundleHash: hash, jobs: [{ key: "k", args: "[]" }] });
    expect(sub.status).toBe(201);
    const task = sub.body.id as number;
    refused(await cluster.api("GET", `/api/v1/tasks/${task}/jobs?cursor=3000000000`), /query\.cursor: must be at most 2147483647/);
    refused(await cluster.api("POST", "/api/v1/pilots", { queue: "local", name: "p", pid: 3e9 }, pilotToken), /body\.pid: must be at most 2147483647/);
    const pilot = await cluster.api("POST", "/api/v1/pilots", { queue: "local", name: "p-int", pid: 2 ** 31 - 1 }, pilotToken);
    expect(pilot.status).toBe(201);
    const pid = pilot.body.id as number;
    // Requests naming the pilot prove it with the key its registration returned.
    const asPilot = { "x-pando-pilot-key": pilot.body.reportKey as string };
    refused(await cluster.api("POST", `/api/v1/pilots/${pid}/report`, { updates: [{ jobId: 1, attempt: 3e9, state: "running" }] }, pilotToken, asPilot), /attempt: must be at most/);
    refused(await cluster.api("POST", `/api/v1/pilots/${pid}/heartbeat`, { held: [{ jobId: 1, attempt: 3e9 }] }, pilotToken, asPilot), /attempt: must be at most/);
    expect((await cluster.api("GET", "/api/v1/workflows?cursor=3000000000")).status).toBe(200);
    expect((await cluster.api("GET", `/api/v1/tasks/${task}/results?after=3000000000`)).status).toBe(200);
    expect((await cluster.api("GET", `/api/v1/tasks/${task}/jobs?cursor=2147483647`)).body.jobs).toEqual([]);
    expect((await cluster.api("POST", `/api/v1/pilots/${pid}/exit`, undefined, pilotToken, asPilot)).status).toBe(200);
  });

  it("keeps values with NUL characters exactly: arguments, initEnv, steps, results, errors, logs, reasons", async () => {
    const id = await wf();
    const escapedArgs = JSON.stringify([NUL_VALUE]);
    const sub = await cluster.api("POST", `/api/v1/workflows/${id}/tasks`, {
      work: "w",
      bundleHash: hash,
      initEnv: `export A=${NUL_VALUE}`,
      jobs: [
        { key: "raw", args: NUL_VALUE },
        { key: "escaped", args: escapedArgs },
      ],
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    const step = await cluster.api("PUT", `/api/v1/workflows/${id}/steps/0`, { name: "s", value: NUL_VALUE });
    expect(step.status).toBe(200);
    expect(step.body.value).toBe(NUL_VALUE);
    expect((await cluster.api("GET", `/api/v1/workflows/${id}/steps`)).body[0].value).toBe(NUL_VALUE);

    const pilot = await cluster.api("POST", "/api/v1/pilots", { queue: "local", name: "p-values" }, pilotToken);
    const pid = pilot.body.id as number;
    const asPilot = { "x-pando-pilot-key": pilot.body.reportKey as string };
    const acquired = await cluster.api("POST", `/api/v1/pilots/${pid}/acquire`, { capacity: 10 }, pilotToken, asPilot);
    expect(acquired.status).toBe(200);
    const jobs = acquired.body.jobs as { jobId: number; attempt: number; key: string; args: string; initEnv?: string }[];
    expect(jobs.map((j) => j.key)).toEqual(expect.arrayContaining(["escaped", "raw"]));
    const raw = jobs.find((j) => j.key === "raw")!;
    const escaped = jobs.find((j) => j.key === "escaped")!;
    expect(raw.args).toBe(NUL_VALUE);
    expect(escaped.args).toBe(escapedArgs);
    expect(raw.initEnv).toBe(`export A=${NUL_VALUE}`);

    const now = Date.now();
    const report = await cluster.api(
      "POST",
      `/api/v1/pilots/${pid}/report`,
      {
        updates: [
          { jobId: raw.jobId, attempt: raw.attempt, state: "finished", result: NUL_VALUE, stdout: NUL_VALUE, stderr: NUL_VALUE, startedAt: now, endedAt: now },
          { jobId: escaped.jobId, attempt: escaped.attempt, state: "failed", error: { code: "user_error", message: NUL_VALUE, stack: NUL_VALUE, name: NUL_VALUE } },
        ],
      },
      pilotToken,
      asPilot,
    );
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    const rawJob = await cluster.api("GET", `/api/v1/jobs/${raw.jobId}`);
    expect(rawJob.body.args).toBe(NUL_VALUE);
    expect(rawJob.body.result).toBe(NUL_VALUE);
    expect(rawJob.body.attempts.at(-1)).toMatchObject({ stdout: NUL_VALUE, stderr: NUL_VALUE });
    const results = await cluster.api("GET", `/api/v1/tasks/${sub.body.id}/results`);
    expect(results.body.results.find((r: { key: string }) => r.key === "raw").result).toBe(NUL_VALUE);
    const escapedJob = await cluster.api("GET", `/api/v1/jobs/${escaped.jobId}`);
    expect(escapedJob.body.args).toBe(escapedArgs);
    const errors = await cluster.api("GET", `/api/v1/tasks/${sub.body.id}/errors`);
    expect(errors.status).toBe(200);
    expect((await cluster.api("GET", `/api/v1/workflows/${id}/errors`)).status).toBe(200);
    const jobsPage = await cluster.api("GET", `/api/v1/tasks/${sub.body.id}/jobs`);
    expect(jobsPage.status).toBe(200);

    const suspended = await cluster.api("POST", `/api/v1/workflows/${id}/suspend`, { reason: NUL_VALUE });
    expect(suspended.status, JSON.stringify(suspended.body)).toBe(200);
    expect(suspended.body.suspendReason).toBe(NUL_VALUE);

    const other = await wf("hostile-close");
    const closed = await cluster.api("POST", `/api/v1/workflows/${other}/close`, { outcome: "threw", error: { message: NUL_VALUE, name: NUL_VALUE } });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body.error).toMatchObject({ message: NUL_VALUE, name: NUL_VALUE });
    const third = await wf("hostile-result");
    const returned = await cluster.api("POST", `/api/v1/workflows/${third}/close`, { outcome: "returned", result: NUL_VALUE });
    expect(returned.body.result).toBe(NUL_VALUE);
    const listed = await cluster.api("GET", "/api/v1/workflows?limit=1000");
    expect(listed.status).toBe(200);
  });
});
