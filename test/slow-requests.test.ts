// Connections held by requests that never finish are cut off after the request timeout, whether the
// caller has a token or not.
import { execFileSync } from "node:child_process";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./helpers/cluster.js";

/** Sends the start of a request and waits, sending nothing more, until the server closes the connection. */
function holdOpen(port: number, head: string, giveUpMs: number): Promise<{ answer: string; ms: number; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const started = Date.now();
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer, ms: Date.now() - started, closed: false });
    }, giveUpMs);
    socket.on("data", (c: Buffer) => (answer += c.toString("utf8")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ answer, ms: Date.now() - started, closed: true });
    });
    socket.write(head);
  });
}

describe("requests that never finish do not hold their connections", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ pilots: 0, serverArgs: ["--request-timeout", "1s", "--listen-backlog", "300"] });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("closes the connection of a request whose body never comes: 408 to a caller with a token, 401 at once to one without", async () => {
    const port = Number(new URL(cluster.url).port);
    const start = (auth: string) =>
      `POST /api/v1/workflows HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":`;
    const [withToken, without] = await Promise.all([
      holdOpen(port, start(`Authorization: Bearer ${cluster.credentials.userToken}\r\n`), 10_000),
      holdOpen(port, start(""), 10_000),
    ]);
    expect(without.answer).toMatch(/^HTTP\/1\.1 401/);
    expect.soft(without.closed, "the connection of a caller without a token").toBe(true);
    expect.soft(withToken.closed, "the connection of a caller that never sends its body").toBe(true);
    expect(withToken.answer).toMatch(/^HTTP\/1\.1 408/);
    // The server still answers everyone else.
    expect((await cluster.api("GET", "/api/v1/workflows")).status).toBe(200);
  });

  it("listens with the backlog --listen-backlog sets: the connections the kernel queues until the server accepts them", () => {
    const port = new URL(cluster.url).port;
    // For a listening socket, ss's Send-Q column is its backlog.
    const listening = execFileSync("ss", ["-Hltn", `sport = :${port}`], { encoding: "utf8" }).trim().split(/\s+/);
    expect(listening[2]).toBe("300");
  });
});
