import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDriver, startCluster, type Cluster } from "./helpers/cluster.js";

const FIXTURE = "test/fixtures/core.ts";

describe("bad input gets a clear error and the server stays up", () => {
  let cluster: Cluster;
  const run = (name: string, ...args: string[]) =>
    runDriver(`${FIXTURE}#${name}`, args, { url: cluster.url, token: cluster.credentials.userToken });

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 1, serverArgs: ["--max-payload", "1MiB"] });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  async function newWorkflow(): Promise<number> {
    const r = await cluster.api("POST", "/api/v1/workflows", { name: "manual" });
    expect(r.status).toBe(201);
    return r.body.id as number;
  }

  async function uploadBundle(code: string): Promise<string> {
    const bytes = new TextEncoder().encode(code);
    const hash = createHash("sha256").update(bytes).digest("hex");
    const res = await fetch(`${cluster.url}/api/v1/bundles/${hash}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${cluster.credentials.userToken}`, "content-type": "application/octet-stream" },
      body: bytes,
    });
    expect(res.status).toBe(201);
    return hash;
  }

  it("refuses a non-serialisable argument before anything is sent, naming its path", async () => {
    const r = await run("unsendable");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("args[0].model.fit is a function");
  });

  it("fails a job whose result cannot be serialised, without retrying it", async () => {
    const r = await run("badResult");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/result\.f is a function/);
    const wf = await cluster.api("GET", `/api/v1/workflows/${r.workflowId}`);
    const jobs = await cluster.api("GET", `/api/v1/tasks/${wf.body.tasks[0].id}/jobs`);
    expect(jobs.body.jobs[0]).toMatchObject({ state: "failed", attempts: 1 });
    expect(jobs.body.jobs[0].error.code).toBe("unserialisable_result");
  });

  it("fails a job whose result is over the payload limit, without retrying it", async () => {
    const r = await run("tooBig", String(2 * 1024 * 1024));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the result is 2\.0 MiB, over the 1\.0 MiB limit/);
    const wf = await cluster.api("GET", `/api/v1/workflows/${r.workflowId}`);
    expect(wf.body.tasks[0]).toMatchObject({ status: "failed", nFailed: 1 });
  });

  it("answers 413 for arguments over the payload limit", async () => {
    const wf = await newWorkflow();
    const hash = await uploadBundle("export {};");
    const args = JSON.stringify(["x".repeat(1024 * 1024 + 10)]);
    const r = await cluster.api("POST", `/api/v1/workflows/${wf}/tasks`, { work: "w", bundleHash: hash, jobs: [{ key: "k", args }] });
    expect(r.status).toBe(413);
    expect(r.body.error.message).toMatch(/the arguments of jobs\[0\] is 1\.0 MiB, over the 1\.0 MiB payload limit/);
  });

  it("fails jobs of a work the bundle does not register, naming the works it has", async () => {
    const wf = await newWorkflow();
    const hash = await uploadBundle(`import { work } from "pando"; export const real = work({ name: "real" }, async () => 1);`);
    const sub = await cluster.api("POST", `/api/v1/workflows/${wf}/tasks`, {
      work: "imaginary",
      bundleHash: hash,
      jobs: [{ key: "k", args: "[]" }],
    });
    expect(sub.status).toBe(201);
    const res = await cluster.api("GET", `/api/v1/tasks/${sub.body.id}/results?waitMs=20000`);
    expect(res.status).toBe(200);
    expect(res.body.results[0].state).toBe("failed");
    expect(res.body.results[0].error).toMatchObject({ code: "unknown_work" });
    expect(res.body.results[0].error.message).toMatch(/no work named 'imaginary' is registered .* registered works: real/);
    expect(res.body.results[0].attempts).toBe(1);
  });

  it("replaces an executor that crashed and reports the crash", async () => {
    const r = await run("crashes");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the executor process exited with code 3/);
    const after = await run("single", "3");
    expect(after.value).toBe(9);
  });

  it("answers malformed requests with 400 and what was wrong", async () => {
    const wf = await newWorkflow();
    const notJson = await cluster.api("POST", "/api/v1/workflows", "{nope");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/JSON/);
    const missing = await cluster.api("POST", `/api/v1/workflows/${wf}/tasks`, { work: "w" });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/body\.bundleHash/);
    expect(missing.body.error.message).toMatch(/body\.jobs/);
    const empty = await cluster.api("POST", `/api/v1/workflows/${wf}/tasks`, { work: "w", bundleHash: "a".repeat(64), jobs: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/at least one job/);
    const unknownBundle = await cluster.api("POST", `/api/v1/workflows/${wf}/tasks`, {
      work: "w",
      bundleHash: "b".repeat(64),
      jobs: [{ key: "k", args: "[]" }],
    });
    expect(unknownBundle.status).toBe(400);
    expect(unknownBundle.body.error.message).toMatch(/not in the code cache; upload it first/);
    const dup = await cluster.api("POST", `/api/v1/workflows/${wf}/tasks`, {
      work: "w",
      bundleHash: await uploadBundle("export {};"),
      jobs: [{ key: "k", args: "[]" }, { key: "k", args: "[1]" }],
    });
    expect(dup.status).toBe(400);
    expect(dup.body.error.message).toMatch(/'k' is the key of jobs\[0\] and jobs\[1\]/);
    const badId = await cluster.api("GET", "/api/v1/workflows/abc");
    expect(badId.status).toBe(400);
    expect(badId.body.error.message).toMatch(/'abc' is not a valid workflow id/);
    const badQueue = await cluster.api("POST", "/api/v1/workflows", { name: "q", queue: "nowhere" });
    expect(badQueue.status).toBe(400);
    expect(badQueue.body.error.message).toMatch(/queue 'nowhere' does not exist; known queues: local/);
    const badHash = await fetch(`${cluster.url}/api/v1/bundles/${"c".repeat(64)}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${cluster.credentials.userToken}`, "content-type": "application/octet-stream" },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(badHash.status).toBe(400);
    expect(((await badHash.json()) as any).error.message).toMatch(/the body's sha256 is [0-9a-f]{64}, not the c+ named in the URL/);
  });

  it("answers unknown ids and endpoints with 404", async () => {
    for (const path of ["/api/v1/workflows/999999", "/api/v1/tasks/999999", "/api/v1/jobs/999999", `/api/v1/bundles/${"d".repeat(64)}`]) {
      const r = await cluster.api("GET", path);
      expect(r.status, path).toBe(404);
      expect(r.body.error.message, path).toMatch(/does not exist/);
    }
    const nowhere = await cluster.api("GET", "/api/v1/nowhere");
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error.message).toMatch(/no such endpoint/);
  });

  it("answers a missing or wrong token with 401 and a pilot token on user routes with 403", async () => {
    const none = await cluster.api("GET", "/api/v1/workflows/1", undefined, null);
    expect(none.status).toBe(401);
    expect(none.body.error.message).toMatch(/missing bearer token/);
    const wrong = await cluster.api("GET", "/api/v1/workflows/1", undefined, "pando_not-a-token");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toMatch(/not valid/);
    const pilot = await cluster.api("POST", "/api/v1/workflows", { name: "x" }, cluster.credentials.pilotToken);
    expect(pilot.status).toBe(403);
    const health = await cluster.api("GET", "/api/v1/health", undefined, null);
    expect(health.status).toBe(200);
  });

  it("still serves earlier results after all of the above", async () => {
    const r = await run("single", "5");
    expect(r.value).toBe(25);
  });
});
