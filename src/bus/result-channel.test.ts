import { describe, expect, it } from "vitest";
import { ResultChannel, type ResultSource } from "./result-channel.js";
import { useSilentBroker } from "./silent-broker.fixture.js";

const broker = useSilentBroker();

describe("ResultChannel", () => {
  it("starts no broker link when closed while the STOMP client is still loading", async () => {
    const settings = broker();
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
