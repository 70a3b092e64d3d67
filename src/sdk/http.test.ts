import { describe, expect, it } from "vitest";
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
});
