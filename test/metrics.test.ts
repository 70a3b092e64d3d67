// The server's /metrics as an operator's Prometheus sees it: a real server and pilot do real work, and the
// documented series move as they should; tokens that travel to compute nodes may not scrape. And the
// pilot's log names what each line is about in fields.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pathOf, PROMETHEUS_TEXT, ROUTES } from "../src/api/routes.js";
import { CLI, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { parseExposition, Scrape, scrape } from "./helpers/prometheus.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/core.ts";
const ACQUIRE = "/api/v1/pilots/:id/acquire";

describe("GET /metrics", () => {
  let cluster: Cluster;
  const metrics = () => scrape(cluster.api);
  const run = (name: string, ...args: string[]) => runDriver(`${FIXTURE}#${name}`, args, { url: cluster.url, token: cluster.credentials.userToken });

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 1, slots: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("answers the Prometheus text format, with the process's own figures", async () => {
    // The CPU the server used before this first scrape counts too.
    const [utime, stime] = readFileSync(`/proc/${cluster.serverPid()}/stat`, "utf8").split(") ")[1]!.split(" ").slice(11, 13).map(Number);
    const cpuBefore = (utime! + stime!) / 100;
    const res = await fetch(`${cluster.url}${pathOf(ROUTES.metrics)}`, { headers: { authorization: `Bearer ${cluster.credentials.userToken}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(PROMETHEUS_TEXT);
    const text = await res.text();
    expect(text).toMatch(/^# HELP pando_http_request_duration_seconds /m);
    expect(text).toMatch(/^# TYPE pando_jobs gauge$/m);
    const m = new Scrape(parseExposition(text));
    expect(m.value("process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(m.series("process_cpu_seconds_total")).toHaveLength(1);
    expect(m.value("process_cpu_seconds_total")).toBeGreaterThanOrEqual(cpuBefore - 0.02);
    expect(cpuBefore).toBeGreaterThan(0);
    expect(m.series("nodejs_eventloop_lag_seconds")).toHaveLength(1);
  });

  it("counts pilots and the acquire long-poll an idle pilot holds", async () => {
    const m = await until("the idle pilot's acquire long-poll to be held", async () => {
      const s = await metrics();
      return s.value("pando_long_polls", { kind: "acquire" }) >= 1 ? s : undefined;
    });
    expect(m.value("pando_pilots", { queue: "local", state: "running" })).toBe(1);
    expect(m.value("pando_streams")).toBe(0);
  });

  it("moves jobs, dispatch, results, request and store series as a task runs through the pilot", async () => {
    const before = await metrics();
    const running = run("ticks", "4", "1500");
    // While the jobs run, they are counted by state on their queue; none is left once they ended.
    await until("jobs to be counted as running", async () => ((await metrics()).value("pando_jobs", { queue: "local", state: "running" }) >= 1 ? true : undefined));
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toMatchObject({ count: 4, failed: 0 });
    const after = await until("the last results to be counted", async () => {
      const s = await metrics();
      return s.value("pando_results_total", { outcome: "finished" }) - before.value("pando_results_total", { outcome: "finished" }) >= 4 ? s : undefined;
    });
    const delta = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);
    expect(delta("pando_results_total", { outcome: "finished" })).toBe(4);
    expect(delta("pando_results_total", { outcome: "failed" })).toBe(0);
    expect(delta("pando_jobs_dispatched_total", { queue: "local" })).toBe(4);
    expect(after.value("pando_jobs", { queue: "local" })).toBe(0);
    // The pilot's acquires and reports, timed under their route templates.
    expect(delta("pando_http_request_duration_seconds_count", { route: ACQUIRE, method: "POST", status: "200" })).toBeGreaterThanOrEqual(1);
    expect(delta("pando_http_request_duration_seconds_count", { route: "/api/v1/workflows/:id/tasks", method: "POST", status: "201" })).toBe(1);
    expect(after.series("pando_http_request_duration_seconds_bucket", { route: ACQUIRE, method: "POST", status: "200", le: "+Inf" })).toHaveLength(1);
    // The store's round trips, per operation.
    expect(delta("pando_store_operation_duration_seconds_count", { operation: "dispatch.claimEach" })).toBeGreaterThanOrEqual(1);
    expect(delta("pando_store_operation_duration_seconds_count", { operation: "tasks.addTask" })).toBe(1);
    expect(after.value("pando_store_operation_duration_seconds_sum", { operation: "dispatch.claimEach" })).toBeGreaterThan(0);
  });

  it("counts failed jobs apart from finished ones", async () => {
    const before = await metrics();
    const r = await run("partial");
    expect(r.code, r.stderr).toBe(0);
    const after = await until("every final state to be counted", async () => {
      const s = await metrics();
      return s.value("pando_results_total") - before.value("pando_results_total") >= 7 ? s : undefined;
    });
    // picky: 3 finished, 1 failed; fail.map: 2 failed; fail: 1 failed. Retried attempts are not final states.
    expect(after.value("pando_results_total", { outcome: "finished" }) - before.value("pando_results_total", { outcome: "finished" })).toBe(3);
    expect(after.value("pando_results_total", { outcome: "failed" }) - before.value("pando_results_total", { outcome: "failed" })).toBe(4);
  });

  it("labels requests by route template, never by the raw URL a caller sent", async () => {
    await cluster.api("GET", "/api/v1/tasks/987654321");
    await cluster.api("GET", "/api/v1/no/such/endpoint/secret-name");
    const m = await metrics();
    expect(m.value("pando_http_request_duration_seconds_count", { route: "/api/v1/tasks/:id", method: "GET", status: "404" })).toBeGreaterThanOrEqual(1);
    expect(m.value("pando_http_request_duration_seconds_count", { route: "unmatched", method: "GET", status: "404" })).toBeGreaterThanOrEqual(1);
    const routes = new Set(m.series("pando_http_request_duration_seconds_count").map((s) => s.labels.route));
    for (const route of routes) expect(route).toMatch(/^(unmatched|\/[a-z0-9/:._-]*)$/);
    expect([...routes].filter((route) => /987654321|secret-name/.test(route!))).toEqual([]);
  });

  it("refuses tokens that travel to compute nodes, and callers without a token", async () => {
    const path = pathOf(ROUTES.metrics);
    const pilot = await cluster.api("GET", path, undefined, cluster.credentials.pilotToken);
    expect(pilot.status).toBe(403);
    expect(pilot.body.error.code).toBe("forbidden");
    expect(pilot.body.error.message).toMatch(/a pilot token cannot call GET \/api\/v1\/metrics; use a user token/);
    const none = await cluster.api("GET", path, undefined, null);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("unauthenticated");
  });

  it("a pilot's log lines carry its queue and, once registered, its id as fields; its exit is counted", async () => {
    const exitedBefore = (await metrics()).value("pando_pilots_ended_total", { how: "exited" });
    const pilot = spawn(process.execPath, [CLI, "pilot", "--server", cluster.url, "--queue", "local", "--slots", "1", "--cache-dir", join(cluster.dataDir, "cache-logs"), "--name", "logs"], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, PANDO_TOKEN: cluster.credentials.pilotToken, PANDO_LOG_LEVEL: "info" },
    });
    let out = "";
    pilot.stderr!.on("data", (c: Buffer) => (out += c.toString("utf8")));
    try {
      const registered = await until("the pilot to log its registration", async () =>
        out
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.msg === "pilot registered"),
      );
      expect(registered).toMatchObject({ queue: "local", pilotId: expect.any(Number), slots: 1 });
      expect(registered.pilotId).toBeGreaterThan(0);
    } finally {
      pilot.kill("SIGTERM");
      await new Promise((r) => pilot.once("exit", r));
    }
    expect((await metrics()).value("pando_pilots_ended_total", { how: "exited" })).toBe(exitedBefore + 1);
  });
});
