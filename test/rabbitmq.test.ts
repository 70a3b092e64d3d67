import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBroker, useBrokerCredentials, type TestBroker } from "./helpers/broker.js";
import { runDriver, startCluster, type Cluster } from "./helpers/cluster.js";

const FIXTURE = "test/fixtures/core.ts";

describe("results over RabbitMQ's STOMP plugin, through the same code", () => {
  let broker: TestBroker;
  let cluster: Cluster;

  beforeAll(async () => {
    useBrokerCredentials();
    broker = testBroker("rabbitmq", 61624);
    broker.up();
    cluster = await startCluster({ pilots: 2, broker: broker.url });
  });
  afterAll(async () => {
    await cluster?.stop();
    broker?.purge();
  });

  it("delivers results through the broker and records them from the reports queue", async () => {
    const r = await runDriver(`${FIXTURE}#ticks`, ["300", "0"], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toMatchObject({ count: 300, distinct: 300, sum: (299 * 300) / 2, via: { broker: 300 } });
    const metrics = (await cluster.api("GET", "/api/v1/metrics")).body;
    expect(metrics.broker_connected).toBe(1);
    expect(metrics.results_via_broker).toBeGreaterThanOrEqual(300);
  });

  it("relays failures, so partial results and errors come out as with ActiveMQ", async () => {
    const r = await runDriver(`${FIXTURE}#partial`, [], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    const v = r.value as { values: number[]; allFailed: { name: string }; single: { name: string; message: string } };
    expect(v.values).toEqual([1, 4, 16]);
    expect(v.allFailed.name).toBe("TaskFailedError");
    expect(v.single).toMatchObject({ name: "JobError", message: "single boom" });
  });
});
