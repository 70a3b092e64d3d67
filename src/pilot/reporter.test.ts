import { createServer, type Socket } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerSettings } from "../api/pilots.js";
import { Ledger } from "./ledger.js";
import { Reporter } from "./reporter.js";
import type { ServerLink } from "./server-link.js";

// A TCP port that takes connections (and never answers STOMP): where a publisher would connect.
const sockets: Socket[] = [];
const listener = createServer((s) => sockets.push(s));
let settings: BrokerSettings;

beforeAll(async () => {
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as { port: number };
  settings = { endpoints: [`127.0.0.1:${port}`], prefix: "pando" };
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => listener.close(resolve));
});

describe("Reporter", () => {
  it("starts no broker publisher when the pilot leaves while the STOMP client is still loading", async () => {
    const reporter = new Reporter({
      link: {} as ServerLink,
      ledger: new Ledger(),
      log: pino({ enabled: false }),
      onServerError: async () => undefined,
    });
    const using = reporter.useBroker(settings, { id: 1, name: "pilot-1", queue: "default" });
    reporter.close();
    await using;
    await reporter.stop();
    expect((reporter as unknown as { publisher: unknown }).publisher).toBeUndefined();
  });
});
