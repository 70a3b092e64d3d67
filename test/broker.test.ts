// What only a broker's own queue gives, on ActiveMQ: reports that wait in the broker while the server is
// down, and results the broker loses (another consumer takes them) re-sent over REST. The contract every
// result path keeps (REST only, ActiveMQ, RabbitMQ) is checked by test/conformance/result-paths.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StompLink } from "../src/bus/stomp-link.js";
import { sleep } from "../src/core/sleep.js";
import { BROKER_PASSWORD, BROKER_USER, testBroker, useBrokerCredentials, type TestBroker } from "./helpers/broker.js";
import { runDriver, startCluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/core.ts";
const PORT = 61651;

function client(port: number): StompLink {
  return new StompLink(
    { endpoints: [{ host: "127.0.0.1", port }], login: BROKER_USER, passcode: BROKER_PASSWORD, prefix: "pando" },
    { name: "test", reconnectDelayMs: 200 },
  );
}

describe("results kept by ActiveMQ's queue", () => {
  let broker: TestBroker;

  beforeAll(() => {
    useBrokerCredentials();
    broker = testBroker("activemq", PORT);
    broker.up();
  });
  afterAll(() => broker?.purge());

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
      await sleep(2500);
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

  it("re-sends over REST the reports a broker loses, once the server has not recorded them for two heartbeats", async () => {
    const cluster = await startCluster({
      pilots: 2,
      broker: broker.url,
      serverArgs: ["--heartbeat-interval", "200ms", "--heartbeat-timeout", "5s"],
    });
    // A second consumer on the reports queue takes some of the pilots' reports away from the server.
    const thief = client(PORT);
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
