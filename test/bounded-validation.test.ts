import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./helpers/cluster.js";

/** Resident memory of a process, in MiB (Linux). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kib / 1024;
}

describe("hostile bodies cost the server little and get a short 4xx", () => {
  let cluster: Cluster;
  let workflowId: number;
  const hash = "a".repeat(64);

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 0, serverArgs: ["--max-header", "8KiB"] });
    const wf = await cluster.api("POST", "/api/v1/workflows", { name: "hostile" });
    expect(wf.status).toBe(201);
    workflowId = wf.body.id as number;
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("refuses a 16 MB submission of 8 million invalid jobs at once, in little memory, and stays up", async () => {
    const items = 8_000_000;
    const body = `{"work":"w","bundleHash":"${hash}","jobs":[${"1,".repeat(items - 1)}1]}`;
    expect(body.length).toBeGreaterThan(16_000_000);
    const before = rssMiB(cluster.serverPid());
    const r = await cluster.api("POST", `/api/v1/workflows/${workflowId}/tasks`, body);
    const after = rssMiB(cluster.serverPid());
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_request");
    expect(r.body.error.message).toMatch(/^body\.jobs: a task has at most 100000 jobs: split the call into several tasks$/);
    // Parsing the JSON itself takes about a hundred MiB; building an issue per item took gigabytes.
    expect(after - before).toBeLessThan(512);
    expect((await cluster.api("GET", "/api/v1/health")).status).toBe(200);
  });

  it("lists the first five problems of a body, and stops checking a long list there", async () => {
    const jobs = Array.from({ length: 1000 }, () => 1);
    const r = await cluster.api("POST", `/api/v1/workflows/${workflowId}/tasks`, { work: "w", bundleHash: hash, jobs });
    expect(r.status).toBe(400);
    const message = r.body.error.message as string;
    expect(message).toContain("body.jobs[0]: ");
    expect(message).toContain("body.jobs[4]: ");
    expect(message).not.toContain("body.jobs[5]");
    expect(message).toMatch(/; and more problems after these \(the check stops at the first 5\)$/);
  });

  it("refuses a body nested 100,000 deep without blowing the stack", async () => {
    const depth = 100_000;
    const nested = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const r = await cluster.api("POST", `/api/v1/workflows/${workflowId}/tasks`, `{"work":"w","bundleHash":"${hash}","jobs":${nested}}`);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_request");
    const deepObject = `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
    const w = await cluster.api("POST", "/api/v1/workflows", `{"name":"deep","args":${deepObject}}`);
    expect(w.status).toBe(400);
    expect(w.body.error.message).toMatch(/^body\.args: /);
    expect((await cluster.api("GET", "/api/v1/health")).status).toBe(200);
  });

  /** The answer to a request that announces a body of `bytes` (Content-Length) and sends none of it. */
  function announced(method: string, path: string, bytes: number, type = "application/json"): Promise<{ status: number; message: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${cluster.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${cluster.credentials.userToken}`, "content-type": type, "content-length": String(bytes) },
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString("utf8")));
        res.on("end", () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, message: (JSON.parse(text) as { error: { message: string } }).error.message });
        });
      });
      req.on("error", reject);
      req.flushHeaders();
    });
  }

  it("gives each route a body limit of its kind: a few fields where a few fields are expected", async () => {
    const big = JSON.stringify({ name: "x".repeat(1024 * 1024) });
    const r = await cluster.api("POST", "/api/v1/tokens", big);
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("request_too_large");
    expect(r.body.error.message).toContain("maxControlRequestBytes, for POST /api/v1/tokens");
    // A route that carries a payload takes one of the payload limit's size.
    const wf = await cluster.api("POST", "/api/v1/workflows", { name: "big-args", args: JSON.stringify(["x".repeat(1024 * 1024)]) });
    expect(wf.status).toBe(201);
    // A site's registration carries its queues, a payload's worth at most: one that says it is 40 MB is
    // refused from its headers, before any of it is read.
    const site = await announced("PUT", "/api/v1/sites/big", 40 * 1024 * 1024);
    expect(site.status).toBe(413);
    expect(site.message).toContain("2 × maxPayloadBytes + maxControlRequestBytes, for PUT /api/v1/sites/:name");
    // A program's bundle or project archive over the request limit: the answer says how to ship less.
    const archive = await announced("PUT", `/api/v1/bundles/${"a".repeat(64)}`, 300 * 1024 * 1024, "application/octet-stream");
    expect(archive.status).toBe(413);
    expect(archive.message).toContain("maxRequestBytes, for PUT /api/v1/bundles/:hash");
    expect(archive.message).toContain("pando run --project-exclude, or --no-project");
  });

  it("answers 431 to a request whose URL and headers are over --max-header, and takes one under it", async () => {
    const list = (filler: string) =>
      fetch(`${cluster.url}/api/v1/workflows`, { headers: { authorization: `Bearer ${cluster.credentials.userToken}`, "x-filler": filler } });
    expect((await list("x".repeat(6 * 1024))).status).toBe(200);
    expect((await list("x".repeat(10 * 1024))).status).toBe(431);
    expect((await cluster.api("GET", "/api/v1/health")).status).toBe(200);
  });
});
