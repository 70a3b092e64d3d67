// For unit tests of what connects to a broker: a TCP port on 127.0.0.1 that takes connections and never
// answers STOMP, open for the test file (vitest's beforeAll/afterAll).
import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll } from "vitest";
import type { BrokerSettings } from "../api/pilots.js";

/** The settings of the silent broker, valid once the file's tests run. */
export function useSilentBroker(): () => BrokerSettings {
  const sockets: Socket[] = [];
  const listener = createServer((s) => sockets.push(s));
  let settings: BrokerSettings | undefined;
  beforeAll(async () => {
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const { port } = listener.address() as { port: number };
    settings = { endpoints: [`127.0.0.1:${port}`], prefix: "pando" };
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => listener.close(resolve));
  });
  return () => {
    if (settings === undefined) throw new Error("the silent broker is not listening yet (use it inside a test)");
    return settings;
  };
}
