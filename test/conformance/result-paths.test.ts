// The contract of the result paths — how a job's final state gets from its pilot to the driver — checked
// the same way for every path: REST only, and through a broker (ActiveMQ, RabbitMQ; each started by
// scripts/services/* for this file). Drivers are real `pando run` processes against a real server.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultsTopic, reportsQueue } from "../../src/bus/messages.js";
import { seal } from "../../src/bus/sealed.js";
import { StompLink } from "../../src/bus/stomp-link.js";
import { jobKeyOf } from "../../src/codec/job-key.js";
import type { Arrival } from "../fixtures/result-paths.js";
import { BROKER_PASSWORD, BROKER_USER, testBroker, useBrokerCredentials, type TestBroker } from "../helpers/broker.js";
import { runDriver, startCluster, type Cluster, type DriverRun } from "../helpers/cluster.js";
import { scrape, type Scrape } from "../helpers/prometheus.js";
import { until } from "../helpers/until.js";

const FIXTURE = "test/fixtures/result-paths.ts";
const CORE = "test/fixtures/core.ts";

interface ResultPath {
  name: string;
  /** The broker results travel through; absent: REST only. */
  broker?: { kind: "activemq" | "rabbitmq"; port: number };
}

const PATHS: ResultPath[] = [
  { name: "REST only" },
  { name: "ActiveMQ", broker: { kind: "activemq", port: 61661 } },
  { name: "RabbitMQ", broker: { kind: "rabbitmq", port: 61662 } },
];

/** A STOMP client of the test's own on the broker: a forger, or a second consumer. */
function stompClient(port: number): StompLink {
  return new StompLink(
    { endpoints: [{ host: "127.0.0.1", port }], login: BROKER_USER, passcode: BROKER_PASSWORD, prefix: "pando" },
    { name: "test", reconnectDelayMs: 200 },
  );
}

/** Job indices that left a marker in `dir`, with how many times each ran. */
function executions(dir: string): Map<number, number> {
  const counts = new Map<number, number>();
  if (!existsSync(dir)) return counts;
  for (const f of readdirSync(dir)) {
    const i = Number(f.split("-")[0]);
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return counts;
}

/** Checks that a call's outcomes reached the driver once each, with the value and key of their job. */
function expectEachOnce(arrivals: Arrival[], entries: unknown[][], value: (i: number) => unknown): void {
  expect(arrivals).toHaveLength(entries.length);
  expect(new Set(arrivals.map((a) => a.index)).size).toBe(entries.length);
  for (const a of arrivals) {
    expect(a).toMatchObject({ ok: true, key: jobKeyOf(entries[a.index]), value: value(a.index) });
  }
}

const countVia = (arrivals: Arrival[]) => {
  const via: Record<string, number> = {};
  for (const a of arrivals) via[a.via] = (via[a.via] ?? 0) + 1;
  return via;
};

describe.each(PATHS)("result path: $name", (path) => {
  /** How results reach the driver and the server while everything is up. */
  const via = path.broker ? "broker" : "rest";
  let broker: TestBroker | undefined;
  let cluster: Cluster;
  let dir: string;

  const run = (target: string, args: unknown[], extra: string[] = [], on: Cluster = cluster): DriverRun =>
    runDriver(target.includes("#") ? target : `${FIXTURE}#${target}`, args.map((a) => (typeof a === "string" ? JSON.stringify(a) : String(a))), {
      url: on.url,
      token: on.credentials.userToken,
      extra,
    });
  const metrics = (on: Cluster = cluster) => scrape(on.api);
  const tasksOf = async (workflowId: number) =>
    (await cluster.api("GET", `/api/v1/workflows/${workflowId}`)).body.tasks as Array<{ id: number; status: string; nJobs: number; nFinished: number; nFailed: number }>;
  /** The server's copy of a task's results. */
  const serverResults = async (taskId: number) =>
    (await cluster.api("GET", `/api/v1/tasks/${taskId}/results?limit=5000`)).body.results as Array<{ jobId: number; key: string; via: string; state: string }>;

  beforeAll(async () => {
    if (path.broker) {
      useBrokerCredentials();
      broker = testBroker(path.broker.kind, path.broker.port);
      broker.up();
    }
    cluster = await startCluster({ pilots: 2, slots: 2, broker: broker?.url ?? null });
    dir = mkdtempSync(join(tmpdir(), "pando-result-paths-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    broker?.purge();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("delivers every result of a task exactly once, whatever order they arrive in, each with its value and job key", async () => {
    const n = 200;
    const group = 8;
    const r = await run("unordered", [n, group, 5]);
    expect(r.code, r.stderr).toBe(0);
    const entries = Array.from({ length: n }, (_, i) => [i, (group - 1 - (i % group)) * 5]);
    const arrivals = r.value as Arrival[];
    expectEachOnce(arrivals, entries, (i) => i);
    expect(countVia(arrivals)).toEqual({ [via]: n });

    // The server's copy: every job once, recorded from the same path.
    const [task] = await tasksOf(r.workflowId!);
    expect(task).toMatchObject({ status: "done", nJobs: n, nFinished: n });
    const results = await serverResults(task!.id);
    expect(results).toHaveLength(n);
    expect(new Set(results.map((x) => x.jobId)).size).toBe(n);
    expect(new Set(results.map((x) => x.key))).toEqual(new Set(entries.map((e) => jobKeyOf(e))));
    expect(new Set(results.map((x) => x.via))).toEqual(new Set([via]));
    const job = await cluster.api("GET", `/api/v1/jobs/${results[0]!.jobId}`);
    expect(job.body.via).toBe(via);
    const m = await metrics();
    expect(m.value("pando_broker_connected")).toBe(path.broker ? 1 : 0);
    expect(m.value("pando_results_total", { via })).toBeGreaterThanOrEqual(n);
  });

  it("keeps the results of two workflows running at once apart", async () => {
    const [a, b] = await Promise.all([run(`${CORE}#concurrent`, []), run(`${CORE}#ticks`, [40, 5])]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.value).toEqual({ a: Array.from({ length: 30 }, (_, i) => i * i), b: Array.from({ length: 30 }, (_, i) => `s${i}`) });
    expect(b.code, b.stderr).toBe(0);
    expect(b.value).toMatchObject({ count: 40, distinct: 40, sum: (39 * 40) / 2, failed: 0, via: { [via]: 40 } });
  });

  it("brings partial failures and errors to the driver as over REST", async () => {
    const r = await run(`${CORE}#partial`, []);
    expect(r.code, r.stderr).toBe(0);
    const v = r.value as any;
    expect(v.values).toEqual([1, 4, 16]);
    expect(v.allFailed.name).toBe("TaskFailedError");
    expect(v.allFailed.message).toMatch(/all 2 job\(s\) of task \d+ \(fail\) failed/);
    expect(v.single).toMatchObject({ name: "JobError", message: "single boom", attempts: 2, code: "user_error" });
    expect(v.single.jobId).toBeGreaterThan(0);
    expect(v.single.remoteStack).toContain("single boom");
  });

  it("reads the results of an earlier run's tasks from the server's copy when a resumed driver attaches to them", async () => {
    const markers = join(dir, "attached");
    const gate = join(dir, "attached-gate");
    const args = [markers, gate, 20, 3];
    const first = run("twoTasks", args);
    const id = await first.started;
    await until("a job of the second task to start", () => (executions(join(markers, "second")).size > 0 ? true : undefined));
    first.proc.kill("SIGINT");
    expect((await first).code).toBe(130);
    expect((await tasksOf(id)).map((t) => t.status)).toEqual(["done", "cancelled"]);

    // The resumed driver attaches to both tasks: the first ended in the earlier run, the second's stopped
    // jobs run again and their pilots send their results to the earlier run's channel.
    writeFileSync(gate, "");
    const resumed = await run("twoTasks", args, ["--resume", String(id)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.workflowId).toBe(id);
    const v = resumed.value as { first: Arrival[]; second: Arrival[] };
    expectEachOnce(v.first, Array.from({ length: 20 }, (_, i) => [join(markers, "first"), null, i]), (i) => i);
    expectEachOnce(v.second, Array.from({ length: 3 }, (_, i) => [join(markers, "second"), gate, i]), (i) => i);
    expect(countVia([...v.first, ...v.second])).toEqual({ rest: 23 });
    // None of the first task's jobs ran again; the second's ran on, and reported by the usual path.
    expect([...executions(join(markers, "first")).values()].every((n) => n === 1)).toBe(true);
    expect(executions(join(markers, "first")).size).toBe(20);
    const [, second] = await tasksOf(id);
    expect(second).toMatchObject({ status: "done", nFinished: 3 });
    expect(new Set((await serverResults(second!.id)).map((x) => x.via))).toEqual(new Set([via]));
  });

  if (!path.broker) return;
  const { kind, port } = path.broker;

  it("ignores forged messages on the broker (a wrong key, another task's) with a warning, and drops forged and malformed reports", async () => {
    const spy = stompClient(port);
    spy.start();
    try {
      expect(await spy.waitConnected(5000)).toBe(true);
      const markers = join(dir, "forged");
      const gate = join(dir, "forged-gate");
      const driver = run("gatedSingle", [markers, gate]);
      let stderr = "";
      driver.proc.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      const workflowId = await driver.started;
      const task = await until("the task to be submitted", async () => (await cluster.api("GET", `/api/v1/workflows/${workflowId}`)).body.tasks[0]);
      const outcome = (taskId: number) => ({
        jobId: 1,
        index: 0,
        key: jobKeyOf([markers, gate, 11]),
        state: "finished",
        result: "666",
        attempts: 1,
        startedAt: null,
        endedAt: null,
        pilot: "forger",
        queue: "local",
        via: "broker",
        seq: taskId * 0,
      });
      const forge = (body: string) =>
        spy.publish(resultsTopic("pando", task.channel), body, { pando_channel: task.channel, pando_driver: task.channel.split(".")[0] }, 5000);
      // Plain JSON, and a message sealed with a key of the forger's own: neither opens with the task's key.
      await forge(JSON.stringify({ v: 1, kind: "results", task: task.id, outcomes: [outcome(task.id)] }));
      const other = JSON.stringify({ v: 1, kind: "results", task: task.id, outcomes: [outcome(task.id)] });
      await forge(seal(randomBytes(32).toString("hex"), { taskId: task.id, channel: task.channel }, other));
      // The job ends only once the driver has turned both away.
      await until("the driver to ignore both", () => ((stderr.match(/ignored a message on the result channel/g) ?? []).length >= 2 ? true : undefined));
      writeFileSync(gate, "");
      const r = await driver;
      expect(r.code, r.stderr).toBe(0);
      expect(r.value).toBe(11);
      expect(r.stderr).toContain(`ignored a message on the result channel of task ${task.id}: it is not sealed with the task's key`);
      expect(r.stderr.match(/ignored a message on the result channel/g)).toHaveLength(2);

      // A forged report on the server's queue is dropped and counted; so are messages that are not reports.
      const before = await metrics();
      const report = JSON.stringify({ v: 1, kind: "report", task: 1, pilot: 1, successes: [], others: [{ jobId: 1, attempt: 1, state: "failed" }] });
      await spy.publish(reportsQueue("pando"), report, { pando_sig: "0".repeat(64) }, 5000);
      await spy.publish(reportsQueue("pando"), "this is not JSON", {}, 5000);
      await spy.publish(reportsQueue("pando"), JSON.stringify({ v: 2, hello: "world" }), {}, 5000);
      await until("the forged and malformed reports to be counted", async () => {
        const m = await metrics();
        const dropped = (s: Scrape, reason: string) => s.value("pando_broker_messages_dropped_total", { reason });
        return dropped(m, "forged") > dropped(before, "forged") && dropped(m, "malformed") >= dropped(before, "malformed") + 2
          ? true
          : undefined;
      });
      expect((await cluster.api("GET", "/api/v1/jobs/1")).body.state).toBe("finished");
      // The server goes on consuming.
      const after = await run(`${CORE}#ticks`, [20, 0]);
      expect(after.value).toMatchObject({ count: 20, via: { broker: 20 } });
    } finally {
      await spy.stop();
    }
  });

  it("says so at start-up when the broker refuses the credentials, and results arrive over REST", async () => {
    const password = process.env.PANDO_BROKER_PASSWORD;
    process.env.PANDO_BROKER_PASSWORD = "wrong";
    let other: Cluster | undefined;
    try {
      other = await startCluster({ pilots: 1, broker: broker!.url, serverArgs: ["--broker-prefix", "pando-refused"] });
      expect(other.serverOutput()).toMatch(
        new RegExp(`broker stomp://pando@127\\.0\\.0\\.1:${port} unavailable at start-up \\(the broker refused the credentials`),
      );
      expect(other.serverOutput()).not.toContain("wrong");
      const r = await run(`${CORE}#ticks`, [10, 0], [], other);
      expect(r.value).toMatchObject({ count: 10, via: { rest: 10 } });
    } finally {
      process.env.PANDO_BROKER_PASSWORD = password;
      await other?.stop();
    }
  });

  it("falls back to REST when the broker is unreachable at start", async () => {
    // A port nothing listens on: the broker is down before the server and the driver start.
    const unreachable = `stomp://127.0.0.1:${port + 10}`;
    const other = await startCluster({ pilots: 1, broker: unreachable });
    try {
      expect(other.serverOutput()).toMatch(new RegExp(`broker stomp://pando@127\\.0\\.0\\.1:${port + 10} unavailable at start-up`));
      const r = await run(`${CORE}#ticks`, [30, 0], [], other);
      expect(r.code, r.stderr).toBe(0);
      expect(r.value).toMatchObject({ count: 30, distinct: 30, via: { rest: 30 } });
      const m = await metrics(other);
      expect(m.value("pando_broker_connected")).toBe(0);
      expect(m.value("pando_results_total", { via: "rest" })).toBeGreaterThanOrEqual(30);
    } finally {
      await other.stop();
    }
  });

  it(`loses nothing when ${kind === "activemq" ? "ActiveMQ" : "RabbitMQ"} dies in the middle of a task, and picks up again once it is back`, async () => {
    const markers = join(dir, "outage");
    const gateA = join(dir, "outage-a");
    const gateB = join(dir, "outage-b");
    const n = 2000;
    const gateFrom = 1000;
    const m = 200;
    const driver = run("acrossAnOutage", [markers, gateA, gateB, n, gateFrom, m]);
    const id = await driver.started;
    await until("the first results", async () => ((await tasksOf(id))[0]?.nFinished ?? 0) >= 100 ? true : undefined);
    // The jobs from gateFrom on end only after the broker is gone, and it stays away until the driver has
    // every result of the task: those results can only have come over REST.
    broker!.kill();
    try {
      writeFileSync(gateA, "");
      await until("the driver to have the first task's results (it submits the second)", async () => ((await tasksOf(id)).length === 2 ? true : undefined), 90_000);
    } finally {
      broker!.up();
    }
    writeFileSync(gateB, "");
    const r = await driver;
    expect(r.code, r.stderr).toBe(0);
    const v = r.value as { first: Arrival[]; second: Arrival[] };
    expectEachOnce(v.first, Array.from({ length: n }, (_, i) => [join(markers, "first"), i >= gateFrom ? gateA : null, i]), (i) => i);
    expectEachOnce(v.second, Array.from({ length: m }, (_, i) => [join(markers, "second"), gateB, i]), (i) => i);
    const firstVia = countVia(v.first);
    expect((firstVia.broker ?? 0) + (firstVia.rest ?? 0)).toBe(n);
    expect(firstVia.rest ?? 0).toBeGreaterThanOrEqual(n - gateFrom);

    // The server's copy is complete, each job once.
    const tasks = await until("the server's copy to be complete", async () => {
      const t = await tasksOf(id);
      return t[0]?.nFinished === n && t[1]?.nFinished === m ? t : undefined;
    });
    expect(tasks[0]).toMatchObject({ status: "done", nJobs: n, nFinished: n, nFailed: 0 });
    expect(tasks[1]).toMatchObject({ status: "done", nJobs: m, nFinished: m, nFailed: 0 });
    expect(new Set((await serverResults(tasks[0]!.id)).map((x) => x.jobId)).size).toBe(n);
    expect(new Set((await serverResults(tasks[1]!.id)).map((x) => x.jobId)).size).toBe(m);
    // Every job ran once.
    expect(executions(join(markers, "first")).size).toBe(n);
    expect([...executions(join(markers, "first")).values(), ...executions(join(markers, "second")).values()].every((k) => k === 1)).toBe(true);
    await until("the server to be back on the broker", async () => ((await metrics()).value("pando_broker_connected") === 1 ? true : undefined), 60_000);
  });
});
