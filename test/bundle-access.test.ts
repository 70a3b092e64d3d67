// Bundles belong to the users who uploaded them: another user can neither run, read nor probe them, and a
// pilot reads only the bundles of the work it holds or may be handed.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./helpers/cluster.js";

/** Tagged-JSON arguments of one job: [3]. */
const ARGS = "[3]";

describe("bundles are their uploaders' own", () => {
  let cluster: Cluster;
  let alice: string;
  let mallory: string;
  const code = `import { work } from "pando"; export const triple = work({ name: "triple" }, async (x) => 3 * x);`;
  const bytes = new TextEncoder().encode(code);
  const hash = createHash("sha256").update(bytes).digest("hex");

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 1 });
    alice = (await cluster.api("POST", "/api/v1/tokens", { name: "alice's", user: "alice" })).body.token;
    mallory = (await cluster.api("POST", "/api/v1/tokens", { name: "mallory's", user: "mallory" })).body.token;
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const bundleCall = (method: string, token: string, query = "", body?: Uint8Array<ArrayBuffer>, pilotKey?: string) =>
    fetch(`${cluster.url}/api/v1/bundles/${hash}${query}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { "content-type": "application/octet-stream" } : {}),
        ...(pilotKey ? { "x-pando-pilot-key": pilotKey } : {}),
      },
      body,
    });

  async function runTriple(token: string): Promise<{ status: number; body: any }> {
    const wf = await cluster.api("POST", "/api/v1/workflows", { name: "bundles" }, token);
    expect(wf.status).toBe(201);
    return cluster.api("POST", `/api/v1/workflows/${wf.body.id}/tasks`, { work: "triple", bundleHash: hash, jobs: [{ key: "k", args: ARGS }] }, token);
  }

  async function resultOf(taskId: number, token: string): Promise<any> {
    const res = await cluster.api("GET", `/api/v1/tasks/${taskId}/results?waitMs=30000`, undefined, token);
    expect(res.status).toBe(200);
    return res.body.results[0];
  }

  it("runs the owner's bundle on a pilot (the pilot fetches it for the job it holds)", async () => {
    expect((await bundleCall("HEAD", alice)).status).toBe(404);
    expect((await bundleCall("PUT", alice, "", bytes)).status).toBe(201);
    expect((await bundleCall("HEAD", alice)).status).toBe(200);
    expect(Buffer.from(await (await bundleCall("GET", alice)).arrayBuffer()).toString()).toBe(code);
    const sub = await runTriple(alice);
    expect(sub.status).toBe(201);
    expect(await resultOf(sub.body.id, alice)).toMatchObject({ state: "finished", result: "9" });
  });

  it("refuses another user's task, workflow, read and probe of the bundle as if it were absent", async () => {
    const sub = await runTriple(mallory);
    expect(sub.status).toBe(400);
    expect(sub.body.error.code).toBe("unknown_bundle");
    expect(sub.body.error.message).toMatch(new RegExp(`bundle ${hash} is not in the code cache; upload it first .*its user \\(mallory\\) uploaded`));
    const remote = await cluster.api("POST", "/api/v1/workflows", { name: "r", mode: "remote", bundleHash: hash, args: "[]" }, mallory);
    expect(remote.status).toBe(400);
    expect(remote.body.error.code).toBe("unknown_bundle");
    const local = await cluster.api("POST", "/api/v1/workflows", { name: "l", bundleHash: hash }, mallory);
    expect(local.status).toBe(400);
    const get = await bundleCall("GET", mallory);
    expect(get.status).toBe(404);
    expect((await get.json()).error.message).toMatch(/does not exist among the bundles mallory uploaded/);
    expect((await bundleCall("HEAD", mallory)).status).toBe(404);
  });

  it("lets the other user run the same bytes once he uploaded them himself", async () => {
    expect((await bundleCall("PUT", mallory, "", bytes)).status).toBe(201);
    expect((await bundleCall("HEAD", mallory)).status).toBe(200);
    const sub = await runTriple(mallory);
    expect(sub.status).toBe(201);
    expect(await resultOf(sub.body.id, mallory)).toMatchObject({ state: "finished", result: "9" });
  });

  it("refuses a bundle that names an environment its user did not upload", async () => {
    const manifest = new TextEncoder().encode('{"alice":"manifest"}');
    const envHash = createHash("sha256").update(manifest).digest("hex");
    const put = (token: string, h: string, body: Uint8Array<ArrayBuffer>) =>
      fetch(`${cluster.url}/api/v1/bundles/${h}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
        body,
      });
    expect((await put(alice, envHash, manifest)).status).toBe(201);
    const borrowing = new TextEncoder().encode(`// pando-environment: ${envHash} left-pad\nexport {};`);
    const borrowingHash = createHash("sha256").update(borrowing).digest("hex");
    expect((await put(mallory, borrowingHash, borrowing)).status).toBe(201);
    const wf = await cluster.api("POST", "/api/v1/workflows", { name: "borrowing" }, mallory);
    const sub = await cluster.api(
      "POST",
      `/api/v1/workflows/${wf.body.id}/tasks`,
      { work: "w", bundleHash: borrowingHash, jobs: [{ key: "k", args: "[]" }] },
      mallory,
    );
    expect(sub.status).toBe(400);
    expect(sub.body.error.message).toMatch(new RegExp(`needs the environment ${envHash}, which is not in the code cache; upload it first`));
  });

  it("keeps a pilot to the bundles of the work it holds or may be handed", async () => {
    const pilotToken = cluster.credentials.pilotToken;
    const unnamed = await bundleCall("GET", pilotToken);
    expect(unnamed.status).toBe(403);
    expect((await unnamed.json()).error.message).toMatch(/\?pilot=<id>/);
    const reg = await cluster.api("POST", "/api/v1/pilots", { queue: "local", name: "idle", host: "h", pid: 1, slots: 1, version: "t" }, pilotToken);
    expect(reg.status).toBe(201);
    const idle = await bundleCall("GET", pilotToken, `?pilot=${reg.body.id}`, undefined, reg.body.reportKey);
    expect(idle.status).toBe(404);
    expect((await idle.json()).error.message).toMatch(new RegExp(`does not exist among the bundles of the jobs pilot ${reg.body.id} holds or warms`));
  });

  it("never runs two users' jobs in one executor, even of the same bytes", async () => {
    const counter = `import { work } from "pando"; let calls = 0; export const who = work({ name: "who" }, async () => ({ executor: process.env.PANDO_EXECUTOR_ID, calls: ++calls }));`;
    const counterBytes = new TextEncoder().encode(counter);
    const counterHash = createHash("sha256").update(counterBytes).digest("hex");
    const runWho = async (token: string) => {
      const put = await fetch(`${cluster.url}/api/v1/bundles/${counterHash}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
        body: counterBytes,
      });
      expect(put.status).toBe(201);
      const wf = await cluster.api("POST", "/api/v1/workflows", { name: "who" }, token);
      const sub = await cluster.api("POST", `/api/v1/workflows/${wf.body.id}/tasks`, { work: "who", bundleHash: counterHash, jobs: [{ key: "k", args: "[]" }] }, token);
      expect(sub.status).toBe(201);
      const r = await resultOf(sub.body.id, token);
      expect(r.state).toBe("finished");
      return JSON.parse(r.result) as { executor: string; calls: number };
    };
    const first = await runWho(alice);
    // Alice's executor is warm and idle now; the other user's job of the same bundle must not land in it.
    const other = await runWho(mallory);
    expect(other.executor).not.toBe(first.executor);
    expect(other.calls).toBe(1);
  });
});
