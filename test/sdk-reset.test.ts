// The SDK's HTTP transport and a connection that breaks under a request (a kept-alive socket reset): a call
// safe to repeat is sent again and succeeds; any other is not sent a second time.
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCaller } from "../src/api/caller.js";
import { ApiError } from "../src/api/errors.js";
import { HttpTransport } from "../src/sdk/http.js";
import { startCluster, type Cluster } from "./helpers/cluster.js";

/**
 * A TCP proxy to the server that breaks the connections of the next `resets` requests: each is reset once
 * the request has arrived (`forward`: after the server received it and began to answer).
 */
class ResettingProxy {
  resets = 0;
  forward = false;
  readonly requests: string[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: URL) {
    this.server = createServer((client) => this.serve(client));
  }

  async listen(): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, "127.0.0.1", done));
    const address = this.server.address() as { port: number };
    return `http://127.0.0.1:${address.port}`;
  }

  private serve(client: Socket): void {
    this.sockets.add(client);
    const upstream = connect(Number(this.target.port), this.target.hostname);
    this.sockets.add(upstream);
    let breaks = false;
    client.on("data", (chunk) => {
      this.requests.push(chunk.toString("latin1").split("\r\n")[0]!);
      // The next request breaks, on whichever connection it comes (a kept-alive one, most often).
      if (this.resets > 0) {
        this.resets--;
        breaks = true;
      }
      if (breaks && !this.forward) client.resetAndDestroy();
      else upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (breaks) {
        client.resetAndDestroy();
        upstream.destroy();
      } else client.write(chunk);
    });
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((done) => this.server.close(done));
  }
}

describe("the SDK when a connection breaks under a request", () => {
  let cluster: Cluster;
  let proxy: ResettingProxy;
  let transport: HttpTransport;

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 0 });
    proxy = new ResettingProxy(new URL(cluster.url));
    transport = new HttpTransport(await proxy.listen(), cluster.credentials.userToken);
  });
  afterAll(async () => {
    await transport?.close();
    await proxy?.close();
    await cluster?.stop();
  });

  it("sends a GET again and gets its answer", async () => {
    const api = apiCaller(transport);
    const created = await api.createWorkflow({ body: { name: "reset-get" } });
    proxy.resets = 1;
    proxy.requests.length = 0;
    const view = await api.getWorkflow({ params: { id: created.id } });
    expect(view.name).toBe("reset-get");
    expect(proxy.requests.filter((r) => r.startsWith(`GET /api/v1/workflows/${created.id}`))).toHaveLength(2);
  });

  it("does not send a POST that is not safe to repeat a second time", async () => {
    const api = apiCaller(transport);
    proxy.resets = 1;
    proxy.forward = true;
    proxy.requests.length = 0;
    const err = await api.createWorkflow({ body: { name: "reset-once" } }).catch((e: unknown) => e);
    proxy.forward = false;
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toMatch(/broke during POST \/api\/v1\/workflows .*not sent again/);
    expect(proxy.requests.filter((r) => r.startsWith("POST /api/v1/workflows"))).toHaveLength(1);
    const listed = await cluster.api("GET", "/api/v1/workflows?limit=100");
    const named = (listed.body.workflows as Array<{ name: string }>).filter((w) => w.name === "reset-once");
    expect(named).toHaveLength(1);
  });
});
