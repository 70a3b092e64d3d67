// A job whose result and output hold NUL characters shares a pilot with another user's twenty jobs: its
// value comes back exactly, the twenty reach their driver, and no report is sent more than a few times.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, request, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";

const FIXTURE = "test/fixtures/hostile.ts";

/** A proxy in front of the server that counts how often each pilot report's exact body was sent. */
function countingProxy(target: string): Promise<{ url: string; server: Server; sends: Map<string, number> }> {
  const sends = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.url?.endsWith("/report")) {
        const key = body.toString("utf8");
        sends.set(key, (sends.get(key) ?? 0) + 1);
      }
      const out = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on("error", () => res.destroy());
      out.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const address = server.address() as { port: number };
    resolve({ url: `http://127.0.0.1:${address.port}`, server, sends });
  }));
}

describe("a job printing and returning NUL characters on a pilot shared with another user", () => {
  let cluster: Cluster;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let pilot: ChildProcess;
  let pilotOutput = "";

  beforeAll(async () => {
    // Results over REST: the reports this test counts are the pilot's REST reports.
    cluster = await startCluster({ pilots: 0, broker: null });
    proxy = await countingProxy(cluster.url);
    pilot = spawn(
      process.execPath,
      [CLI, "pilot", "--server", proxy.url, "--queue", "local", "--slots", "2", "--cache-dir", join(cluster.dataDir, "cache-shared"), "--name", "shared"],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PANDO_TOKEN: cluster.credentials.pilotToken, PANDO_LOG_LEVEL: "warn" } },
    );
    pilot.stdout?.on("data", (c: Buffer) => (pilotOutput += c.toString("utf8")));
    pilot.stderr?.on("data", (c: Buffer) => (pilotOutput += c.toString("utf8")));
  });
  afterAll(async () => {
    pilot?.kill("SIGTERM");
    await new Promise((r) => (pilot?.exitCode !== null ? r(undefined) : pilot.once("exit", r)));
    proxy?.server.close();
    await cluster?.stop();
  });

  it("returns the value exactly, finishes the other user's twenty jobs, and sends each report a few times at most", async () => {
    const bob = await cluster.api("POST", "/api/v1/tokens", { name: "bob-laptop", user: "bob" });
    expect(bob.status).toBe(201);
    const size = 200_000;
    const [hostile, others] = await Promise.all([
      runDriver(`${FIXTURE}#hostileValue`, [String(size)], { url: cluster.url, token: cluster.credentials.userToken }),
      runDriver(`${FIXTURE}#twenty`, [], { url: cluster.url, token: bob.body.token as string }),
    ]);
    expect(others.code, others.stderr).toBe(0);
    expect(others.value).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(hostile.code, `${hostile.stderr}\n${pilotOutput}`).toBe(0);
    expect(hostile.value).toEqual({ exact: true, length: 4 + 2 * size });

    const wf = await cluster.api("GET", `/api/v1/workflows/${hostile.workflowId}`);
    const jobs = await cluster.api("GET", `/api/v1/tasks/${wf.body.tasks[0].id}/jobs`);
    const job = await cluster.api("GET", `/api/v1/jobs/${jobs.body.jobs[0].id}`);
    expect(job.body.attempts.at(-1).stdout).toContain("out\u0000put");
    expect(job.body.attempts.at(-1).stderr).toContain("err\u0000");
    expect(proxy.sends.size).toBeGreaterThan(0);
    expect(Math.max(...proxy.sends.values())).toBeLessThanOrEqual(3);
  });
});
