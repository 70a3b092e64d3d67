import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StompLink } from "../src/bus/stomp-link.js";
import { jobKeyOf } from "../src/codec/job-key.js";
import { BROKER_PASSWORD, BROKER_USER, testBroker, useBrokerCredentials, type TestBroker } from "./helpers/broker.js";
import { runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/core.ts";
const PORT = 61651;

function client(port: number): StompLink {
  return new StompLink(
    { endpoints: [{ host: "127.0.0.1", port }], login: BROKER_USER, passcode: BROKER_PASSWORD, prefix: "pando" },
    { name: "test", reconnectDelayMs: 200 },
  );
}

async function metrics(cluster: Cluster): Promise<Record<string, number>> {
  return (await cluster.api("GET", "/api/v1/metrics")).body as Record<string, number>;
}

describe("results over ActiveMQ", () => {
  let broker: TestBroker;

  beforeAll(() => {
    useBrokerCredentials();
    broker = testBroker("activemq", PORT);
    broker.up();
  });
  afterAll(() => broker?.purge());

  describe("with the broker up", () => {
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await startCluster({ pilots: 2, broker: broker.url });
    });
    afterAll(async () => cluster?.stop());

    it("delivers results through the broker, and the server records them from its queue", async () => {
      const r = await runDriver(`${FIXTURE}#ticks`, ["200", "0"], { url: cluster.url, token: cluster.credentials.userToken });
      expect(r.code, r.stderr).toBe(0);
      expect(r.value).toMatchObject({ count: 200, distinct: 200, sum: (199 * 200) / 2, failed: 0, via: { broker: 200 } });
      const wf = await cluster.api("GET", `/api/v1/workflows/${r.workflowId}`);
      const results = await cluster.api("GET", `/api/v1/tasks/${wf.body.tasks[0].id}/results?limit=1000`);
      expect(results.body.results).toHaveLength(200);
      expect(new Set(results.body.results.map((x: { via: string }) => x.via))).toEqual(new Set(["broker"]));
      const job = await cluster.api("GET", `/api/v1/jobs/${results.body.results[0].jobId}`);
      expect(job.body.via).toBe("broker");
      const m = await metrics(cluster);
      expect(m.broker_connected).toBe(1);
      expect(m.results_via_broker).toBeGreaterThanOrEqual(200);
    });

    it("keeps two workflows' results apart and ignores forged messages", async () => {
      // Two drivers at once on the same broker, the same work, different values.
      const [a, b] = await Promise.all([
        runDriver(`${FIXTURE}#concurrent`, [], { url: cluster.url, token: cluster.credentials.userToken }),
        runDriver(`${FIXTURE}#ticks`, ["40", "5"], { url: cluster.url, token: cluster.credentials.userToken }),
      ]);
      expect(a.value).toEqual({ a: Array.from({ length: 30 }, (_, i) => i * i), b: Array.from({ length: 30 }, (_, i) => `s${i}`) });
      expect(b.value).toMatchObject({ count: 40, distinct: 40, sum: (39 * 40) / 2 });

      // A slow job, and forged results for it on its own channel: bad signature, and another task's.
      const spy = client(PORT);
      spy.start();
      expect(await spy.waitConnected(5000)).toBe(true);
      const driver = runDriver(`${FIXTURE}#slowSingle`, ["3000"], { url: cluster.url, token: cluster.credentials.userToken });
      const workflowId = await driver.started;
      const task = await until("the task to be submitted", async () => {
        const wf = await cluster.api("GET", `/api/v1/workflows/${workflowId}`);
        return wf.body.tasks[0];
      });
      const outcome = (taskId: number) => ({
        jobId: 1,
        index: 0,
        key: jobKeyOf([11, 3000]),
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
      const forge = (body: string, sig: string) =>
        spy.publish(
          `/topic/pando.results.${task.channel}`,
          body,
          { pando_channel: task.channel, pando_driver: task.channel.split(".")[0], pando_sig: sig },
          5000,
        );
      const forged = JSON.stringify({ v: 1, kind: "results", from: "server", task: task.id, outcomes: [outcome(task.id)] });
      await forge(forged, createHmac("sha256", "not-the-key").update(forged).digest("hex"));
      const other = JSON.stringify({ v: 1, kind: "results", from: "server", task: task.id + 1000, outcomes: [outcome(task.id + 1000)] });
      await forge(other, createHmac("sha256", "x").update(other).digest("hex"));
      const r = await driver;
      expect(r.value).toBe(11);
      expect(r.stderr).toContain(`ignored a message on the result channel of task ${task.id}: its signature does not match`);
      expect(r.stderr.match(/ignored a message on the result channel/g)).toHaveLength(2);

      // A forged report on the server's queue is dropped and counted.
      const before = (await metrics(cluster)).broker_messages_forged ?? 0;
      const report = JSON.stringify({ v: 1, kind: "report", task: 1, pilot: 1, successes: [], others: [{ jobId: 1, attempt: 1, state: "failed" }] });
      await spy.publish("/queue/pando.reports", report, { pando_sig: "0".repeat(64) }, 5000);
      await until("the forged report to be counted", async () => ((await metrics(cluster)).broker_messages_forged ?? 0) > before ? true : undefined);
      const job = await cluster.api("GET", "/api/v1/jobs/1");
      expect(job.body.state).toBe("finished");
      await spy.stop();
    });

    it("drops malformed messages on the reports queue and goes on consuming", async () => {
      const spy = client(PORT);
      spy.start();
      expect(await spy.waitConnected(5000)).toBe(true);
      const before = (await metrics(cluster)).broker_messages_malformed ?? 0;
      await spy.publish("/queue/pando.reports", "this is not JSON", {}, 5000);
      await spy.publish("/queue/pando.reports", JSON.stringify({ v: 2, hello: "world" }), {}, 5000);
      await until("both to be counted", async () => ((await metrics(cluster)).broker_messages_malformed ?? 0) >= before + 2 ? true : undefined);
      await spy.stop();
      const r = await runDriver(`${FIXTURE}#ticks`, ["20", "0"], { url: cluster.url, token: cluster.credentials.userToken });
      expect(r.value).toMatchObject({ count: 20, via: { broker: 20 } });
    });
  });

  it("with the broker down before the run, results arrive over REST", async () => {
    const cluster = await startCluster({ pilots: 1, broker: "stomp://127.0.0.1:61659" });
    try {
      const r = await runDriver(`${FIXTURE}#ticks`, ["30", "0"], { url: cluster.url, token: cluster.credentials.userToken });
      expect(r.code, r.stderr).toBe(0);
      expect(r.value).toMatchObject({ count: 30, distinct: 30, via: { rest: 30 } });
      const m = await metrics(cluster);
      expect(m.broker_connected).toBe(0);
      expect(m.results_via_rest).toBeGreaterThanOrEqual(30);
    } finally {
      await cluster.stop();
    }
  });

  it("with wrong broker credentials, says so at start-up and falls back to REST", async () => {
    const password = process.env.PANDO_BROKER_PASSWORD;
    process.env.PANDO_BROKER_PASSWORD = "wrong";
    let cluster: Cluster | undefined;
    try {
      cluster = await startCluster({ pilots: 1, broker: broker.url });
      expect(cluster.serverOutput()).toMatch(/broker stomp:\/\/pando@127\.0\.0\.1:61651 unavailable at start-up \(the broker refused the credentials/);
      expect(cluster.serverOutput()).not.toContain("wrong");
      const r = await runDriver(`${FIXTURE}#ticks`, ["10", "0"], { url: cluster.url, token: cluster.credentials.userToken });
      expect(r.value).toMatchObject({ count: 10, via: { rest: 10 } });
    } finally {
      process.env.PANDO_BROKER_PASSWORD = password;
      await cluster?.stop();
    }
  });

  it("loses nothing when the broker is killed in the middle of a 2,000-job task and restarted", async () => {
    const cluster = await startCluster({ pilots: 2, broker: broker.url });
    try {
      const driver = runDriver(`${FIXTURE}#ticks`, ["2000", "2"], { url: cluster.url, token: cluster.credentials.userToken });
      const taskId = await until("some results", async () => {
        const t = await cluster.api("GET", "/api/v1/tasks/1");
        return t.status === 200 && t.body.nFinished > 200 ? (t.body.id as number) : undefined;
      });
      broker.kill();
      await new Promise((r) => setTimeout(r, 1500));
      broker.up();
      const r = await driver;
      expect(r.code, r.stderr).toBe(0);
      const v = r.value as { count: number; distinct: number; sum: number; via: Record<string, number> };
      expect(v).toMatchObject({ count: 2000, distinct: 2000, sum: (1999 * 2000) / 2, failed: 0 });
      expect((v.via.broker ?? 0) + (v.via.rest ?? 0)).toBe(2000);
      expect(v.via.rest ?? 0).toBeGreaterThan(0);
      const task = await until("the server's copy to be complete", async () => {
        const t = await cluster.api("GET", `/api/v1/tasks/${taskId}`);
        return t.body.nFinished === 2000 ? t.body : undefined;
      });
      expect(task).toMatchObject({ status: "done", nJobs: 2000, nFinished: 2000, nFailed: 0 });
      const results = await cluster.api("GET", `/api/v1/tasks/${taskId}/results?limit=5000`);
      expect(new Set(results.body.results.map((x: { jobId: number }) => x.jobId)).size).toBe(2000);
    } finally {
      await cluster.stop();
    }
  });

  it("catches up from the broker when the server was down while pilots published", async () => {
    const cluster = await startCluster({ pilots: 2, broker: broker.url });
    try {
      const driver = runDriver(`${FIXTURE}#ticks`, ["60", "150"], { url: cluster.url, token: cluster.credentials.userToken });
      const taskId = await until("some results", async () => {
        const t = await cluster.api("GET", "/api/v1/tasks/1");
        return t.status === 200 && t.body.nFinished > 4 ? (t.body.id as number) : undefined;
      });
      const stopped = Date.now();
      await cluster.stopServer("SIGKILL");
      await new Promise((r) => setTimeout(r, 2500));
      await cluster.startServer();
      const r = await driver;
      expect(r.code, r.stderr).toBe(0);
      expect(r.value).toMatchObject({ count: 60, distinct: 60, sum: (59 * 60) / 2 });
      const task = await until("the server's copy to be complete", async () => {
        const t = await cluster.api("GET", `/api/v1/tasks/${taskId}`);
        return t.body.nFinished === 60 ? t.body : undefined;
      });
      expect(task.status).toBe("done");
      const results = await cluster.api("GET", `/api/v1/tasks/${taskId}/results?limit=100`);
      const whileDown = results.body.results.filter((x: { endedAt: number }) => x.endedAt > stopped && x.endedAt < stopped + 2500);
      expect(whileDown.length).toBeGreaterThan(0);
      for (const x of whileDown) expect(x.via).toBe("broker");
    } finally {
      await cluster.stop();
    }
  });
});

describe("results a broker loses", () => {
  let broker: TestBroker;
  beforeAll(() => {
    useBrokerCredentials();
    broker = testBroker("activemq", PORT + 1);
    broker.up();
  });
  afterAll(() => broker?.purge());

  it("are reported over REST by the pilot once the server has not recorded them for two heartbeats", async () => {
    const cluster = await startCluster({
      pilots: 2,
      broker: broker.url,
      serverArgs: ["--heartbeat-interval", "200ms", "--heartbeat-timeout", "5s"],
    });
    // A second consumer on the reports queue takes some of the pilots' reports away from the server.
    const thief = client(PORT + 1);
    thief.start();
    expect(await thief.waitConnected(5000)).toBe(true);
    let stolen = 0;
    await thief.subscribe("/queue/pando.reports", { ack: "auto" }, () => stolen++);
    try {
      const r = await runDriver(`${FIXTURE}#ticks`, ["100", "20"], { url: cluster.url, token: cluster.credentials.userToken });
      expect(r.code, r.stderr).toBe(0);
      expect(r.value).toMatchObject({ count: 100, distinct: 100 });
      expect(stolen).toBeGreaterThan(0);
      const wf = await cluster.api("GET", `/api/v1/workflows/${r.workflowId}`);
      expect(wf.body.status).toBe("finished");
      expect(wf.body.tasks[0]).toMatchObject({ status: "done", nFinished: 100 });
      const results = await cluster.api("GET", `/api/v1/tasks/${wf.body.tasks[0].id}/results?limit=200`);
      expect(results.body.results.filter((x: { via: string }) => x.via === "rest").length).toBeGreaterThan(0);
    } finally {
      await thief.stop();
      await cluster.stop();
    }
  });
});
