// Every pilot shares the pilot token, so a request that names a pilot must prove to be that pilot with the key
// its registration returned: another pilot's token-holder can neither take, report, end nor read for it.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const KEY_HEADER = "x-pando-pilot-key";
/** Long enough for the other pilot's attempts to be made while the jobs run. */
const NAP_MS = 4_000;

describe("a pilot token acts only as the pilot it registered", () => {
  let cluster: Cluster;
  const code = `import { work } from "pando"; export const nap = work({ name: "nap" }, async (ms) => { await new Promise((r) => setTimeout(r, ms)); return 2 * ms; });`;
  const bytes = new TextEncoder().encode(code);
  const hash = createHash("sha256").update(bytes).digest("hex");

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const asPilot = (method: string, path: string, body: unknown, key: string | undefined) =>
    cluster.api(method, path, body, cluster.credentials.pilotToken, key === undefined ? {} : { [KEY_HEADER]: key });

  it("refuses another pilot's acquire, report, heartbeat, exit and bundle fetch as the first pilot, and its jobs finish with their true values", async () => {
    const up = await fetch(`${cluster.url}/api/v1/bundles/${hash}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${cluster.credentials.userToken}`, "content-type": "application/octet-stream" },
      body: bytes,
    });
    expect(up.status).toBe(201);
    const wf = await cluster.api("POST", "/api/v1/workflows", { name: "victim" });
    const task = await cluster.api("POST", `/api/v1/workflows/${wf.body.id}/tasks`, {
      work: "nap",
      bundleHash: hash,
      jobs: [{ key: "a", args: `[${NAP_MS}]` }],
    });
    expect(task.status).toBe(201);
    const jobId = (await cluster.api("GET", `/api/v1/tasks/${task.body.id}/jobs`)).body.jobs[0].id as number;
    await until("the job to run on the cluster's pilot", async () => {
      const job = (await cluster.api("GET", `/api/v1/jobs/${jobId}`)).body;
      return job.state === "running" ? job : undefined;
    });
    const pilots = (await cluster.api("GET", "/api/v1/pilots?status=running")).body.pilots as Array<{ id: number }>;
    expect(pilots).toHaveLength(1);
    const victim = pilots[0]!.id;

    // Another pilot, registered with the same shared pilot token: it has a key, but its own.
    const other = await asPilot("POST", "/api/v1/pilots", { queue: "local", name: "other" }, undefined);
    expect(other.status).toBe(201);
    const otherKey = other.body.reportKey as string;
    const forged = { updates: [{ jobId, attempt: 1, state: "failed", endedAt: Date.now(), error: { code: "user_error", message: "forged by another pilot" } }] };
    const attempts: Array<[string, string, unknown]> = [
      ["POST", `/api/v1/pilots/${victim}/acquire`, { capacity: 4, waitMs: 0 }],
      ["POST", `/api/v1/pilots/${victim}/report`, forged],
      ["POST", `/api/v1/pilots/${victim}/heartbeat`, { held: [] }],
      ["GET", `/api/v1/bundles/${hash}?pilot=${victim}`, undefined],
      ["POST", `/api/v1/pilots/${victim}/exit`, undefined],
    ];
    const wrong: string[] = [];
    for (const key of [otherKey, undefined, "not-a-key"]) {
      for (const [method, path, body] of attempts) {
        const a = await asPilot(method, path, body, key);
        const message = String(a.body?.error?.message ?? "");
        if (a.status !== 403 || !message.includes(`this pilot token is not pilot ${victim}'s`) || !message.includes(KEY_HEADER)) {
          wrong.push(`${method} ${path} with key ${key}: ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
        }
      }
    }
    expect(wrong, wrong.join("\n")).toEqual([]);

    const result = (await cluster.api("GET", `/api/v1/tasks/${task.body.id}/results?waitMs=30000`)).body.results[0];
    expect(result).toMatchObject({ state: "finished", result: String(2 * NAP_MS) });
    const job = (await cluster.api("GET", `/api/v1/jobs/${jobId}`)).body;
    expect(job.attempts).toHaveLength(1);
    const stillRunning = (await cluster.api("GET", "/api/v1/pilots?status=running")).body.pilots as Array<{ id: number }>;
    expect(stillRunning.map((p) => p.id)).toContain(victim);

    // The other pilot, as itself with its own key, is served as before; then it leaves.
    const own = other.body.id as number;
    expect((await asPilot("POST", `/api/v1/pilots/${own}/heartbeat`, { held: [] }, otherKey)).status).toBe(200);
    expect((await asPilot("POST", `/api/v1/pilots/${own}/acquire`, { capacity: 0, waitMs: 0 }, otherKey)).status).toBe(200);
    expect((await asPilot("POST", `/api/v1/pilots/${own}/report`, { updates: [] }, otherKey)).status).toBe(200);
    expect((await asPilot("POST", `/api/v1/pilots/${own}/exit`, undefined, otherKey)).status).toBe(200);
    // Once ended, its key proves nothing new: it is told to register again.
    expect((await asPilot("POST", `/api/v1/pilots/${own}/heartbeat`, { held: [] }, otherKey)).body.error.code).toBe("pilot_ended");
  });

  it("lets an administrator's own token act as any pilot, and never a workflow-scoped token of his", async () => {
    const pilot = await asPilot("POST", "/api/v1/pilots", { queue: "local", name: "watched" }, undefined);
    const id = pilot.body.id as number;
    expect((await cluster.api("POST", `/api/v1/pilots/${id}/heartbeat`, { held: [] })).status).toBe(200);
    const wf = await cluster.api("POST", "/api/v1/workflows", { name: "scoped" });
    const scoped = (await cluster.api("POST", "/api/v1/tokens", { name: "scoped", workflowId: wf.body.id })).body.token as string;
    const refused = await cluster.api("POST", `/api/v1/pilots/${id}/heartbeat`, { held: [] }, scoped, { [KEY_HEADER]: pilot.body.reportKey });
    expect(refused.status).toBe(403);
    expect((await cluster.api("POST", "/api/v1/pilots", { queue: "local", name: "scoped" }, scoped)).status).toBe(403);
    expect((await cluster.api("POST", `/api/v1/pilots/${id}/exit`)).status).toBe(200);
  });
});
