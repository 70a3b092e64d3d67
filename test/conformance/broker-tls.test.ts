// Results over STOMP with TLS (stomp+ssl://), on ActiveMQ's ssl connector and RabbitMQ's STOMP TLS listener,
// each started by scripts/services/* with a certificate of the test CA (scripts/services/ca.sh): the server,
// the pilots and the drivers verify the broker's certificate, results reach the driver through it, and a
// client that cannot trust the broker says so in one line and falls back to REST.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StompLink } from "../../src/bus/stomp-link.js";
import type { Arrival } from "../fixtures/result-paths.js";
import { BROKER_PASSWORD, BROKER_USER, testBroker, useBrokerCredentials, type TestBroker } from "../helpers/broker.js";
import { ROOT, runDriver, startCluster, type Cluster } from "../helpers/cluster.js";
import { scrape } from "../helpers/prometheus.js";

const FIXTURE = "test/fixtures/result-paths.ts";

const BROKERS = [
  { kind: "activemq" as const, port: 61681, tlsPort: 61682 },
  { kind: "rabbitmq" as const, port: 61683, tlsPort: 61684 },
];

describe.each(BROKERS)("results over stomp+ssl on $kind", ({ kind, port, tlsPort }) => {
  let dir: string;
  let ca: string;
  let otherCa: string;
  let broker: TestBroker;
  let cluster: Cluster;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `pando-broker-tls-${kind}-`));
    const script = join(ROOT, "scripts/services/ca.sh");
    for (const args of [["init", dir], ["host", dir, "broker", "127.0.0.1"], ["other", dir]]) execFileSync("bash", [script, ...args], { stdio: "pipe" });
    ca = join(dir, "ca.pem");
    otherCa = join(dir, "other-ca.pem");
    useBrokerCredentials();
    broker = testBroker(kind, port, { port: tlsPort, cert: join(dir, "broker.pem"), key: join(dir, "broker.key") });
    broker.up();
    // The server and its pilots trust the test CA through PANDO_CA; the drivers get --ca.
    cluster = await startCluster({ pilots: 2, slots: 2, broker: broker.url, env: { PANDO_CA: ca } });
  });
  afterAll(async () => {
    await cluster?.stop();
    broker?.purge();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (n: number, caFile: string) =>
    runDriver(`${FIXTURE}#unordered`, [String(n), "4", "2"], { url: cluster.url, token: cluster.credentials.userToken, extra: ["--ca", caFile] });

  it("hands out the broker with its TLS flag, and every result reaches the driver once through it", async () => {
    expect(broker.url).toBe(`stomp+ssl://127.0.0.1:${tlsPort}`);
    const settings = await cluster.api("GET", "/api/v1/broker");
    expect(settings.body.broker).toMatchObject({ endpoints: [`127.0.0.1:${tlsPort}`], tls: true });
    const r = await run(40, ca);
    expect(r.code, r.stderr).toBe(0);
    const arrivals = r.value as Arrival[];
    expect(new Set(arrivals.map((a) => a.index)).size).toBe(40);
    expect(arrivals.every((a) => a.via === "broker" && a.ok)).toBe(true);
    const metrics = await scrape(cluster.api);
    expect(metrics.value("pando_broker_connected")).toBe(1);
    expect(metrics.value("pando_results_total", { via: "broker" })).toBeGreaterThanOrEqual(40);
  });

  it("a link that cannot trust the broker says so in one line naming it and the reason", async () => {
    const link = new StompLink(
      { endpoints: [{ host: "127.0.0.1", port: tlsPort }], tls: true, caFile: otherCa, login: BROKER_USER, passcode: BROKER_PASSWORD, prefix: "pando" },
      { name: "test", reconnectDelayMs: 60_000 },
    );
    link.start();
    try {
      expect(await link.waitConnected(10_000)).toBe(false);
      expect(link.lastError).toBe(
        `cannot trust the broker at 127.0.0.1:${tlsPort}: its certificate is signed by an authority this client does not trust ` +
          "(UNABLE_TO_VERIFY_LEAF_SIGNATURE); pass the certificate authority that signed it with --ca FILE (or PANDO_CA=FILE)",
      );
    } finally {
      await link.stop();
    }
  });

  it("a driver that cannot trust the broker still gets every result, over REST", async () => {
    const r = await run(10, otherCa);
    expect(r.code, r.stderr).toBe(0);
    const arrivals = r.value as Arrival[];
    expect(new Set(arrivals.map((a) => a.index)).size).toBe(10);
    expect(arrivals.every((a) => a.via === "rest" && a.ok)).toBe(true);
  });
});
