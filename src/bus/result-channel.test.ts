import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerSettings } from "../api/pilots.js";
import { ResultChannel, type ResultSource } from "./result-channel.js";

// A TCP port that takes connections (and never answers STOMP): where a link would connect.
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

describe("ResultChannel", () => {
  it("starts no broker link when closed while the STOMP client is still loading", async () => {
    const source: ResultSource = {
      brokerSettings: async () => settings,
      taskResults: () => Promise.reject(new Error("no task results in this test")),
    };
    const channel = new ResultChannel(source, settings);
    const opening = channel.openTask();
    await channel.close();
    await opening;
    expect(channel.brokerActive).toBe(false);
    expect((channel as unknown as { link: unknown }).link).toBeUndefined();
  });
});
