import { assert, describe, expect, it } from "vitest";
import { HttpTransport } from "./http.js";

describe("HttpTransport's connections", () => {
  it("keeps at most `connections` to the server; more requests at once wait for one", async () => {
    const { createServer } = await import("node:http");
    const sockets = new Set<unknown>();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const server = createServer((req, res) => {
      sockets.add(req.socket);
      void held.then(() => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}'));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    try {
      const http = new HttpTransport(`http://127.0.0.1:${port}`, "t", { security: {}, connections: 2 });
      const { apiCaller } = await import("../api/caller.js");
      const api = apiCaller(http);
      const calls = Array.from({ length: 6 }, () => api.health());
      // The server answers none until two requests are in: with room for more, all six would have come on sockets of their own.
      while (sockets.size < 2) await new Promise((r) => setTimeout(r, 10));
      release();
      await Promise.all(calls);
      expect(sockets.size).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("with a shared pool, transports send their own tokens and headers over the pool's connections, and leave it open on close", async () => {
    const { createServer } = await import("node:http");
    const { Pool } = await import("undici");
    const sockets = new Set<unknown>();
    const seen: string[] = [];
    const server = createServer((req, res) => {
      sockets.add(req.socket);
      seen.push(`${req.headers.authorization} ${req.headers["x-who"]}`);
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    const url = `http://127.0.0.1:${port}`;
    const pool = new Pool(url, { connections: 1 });
    try {
      const { apiCaller } = await import("../api/caller.js");
      const transports = ["a", "b", "c"].map((who) => {
        const http = new HttpTransport(url, `token-${who}`, { security: {}, sharedPool: (u) => (u === url ? pool : assert.fail(u)) });
        http.setHeader("x-who", who);
        return http;
      });
      await Promise.all(transports.flatMap((http) => [apiCaller(http).health(), apiCaller(http).health()]));
      expect(sockets.size).toBe(1);
      expect(seen.sort()).toEqual(["Bearer token-a a", "Bearer token-a a", "Bearer token-b b", "Bearer token-b b", "Bearer token-c c", "Bearer token-c c"]);
      await transports[0]!.close();
      await apiCaller(transports[1]!).health();
      expect(seen).toHaveLength(7);
    } finally {
      await pool.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
