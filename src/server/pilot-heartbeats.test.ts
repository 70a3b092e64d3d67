import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ServerContext } from "./context.js";
import { PilotHeartbeats } from "./pilot-heartbeats.js";

function heartbeats() {
  const written: Array<Map<number, number>> = [];
  const ctx = {
    store: { pilots: { recordHeartbeats: async (beats: Map<number, number>) => void written.push(new Map(beats)) } },
    config: { heartbeatFlushMs: 1000 },
    log: pino({ level: "silent" }),
  } as unknown as Pick<ServerContext, "store" | "config" | "log">;
  return { beats: new PilotHeartbeats(ctx), written };
}

describe("PilotHeartbeats", () => {
  afterEach(() => vi.useRealTimers());

  it("writes the heartbeats heard since the last write together, once per interval", async () => {
    vi.useFakeTimers();
    const { beats, written } = heartbeats();
    beats.heard(1, 60_000, 10);
    beats.heard(2, 60_000, 20);
    beats.heard(1, 60_000, 30);
    await vi.advanceTimersByTimeAsync(1000);
    expect(written).toEqual([new Map([[1, 30], [2, 20]])]);
    await beats.stop();
  });

  it("writes what is pending when it stops, and nothing it hears afterwards: no timer outlives the server's store", async () => {
    vi.useFakeTimers();
    const { beats, written } = heartbeats();
    beats.heard(1, 60_000, 10);
    await beats.stop();
    expect(written).toEqual([new Map([[1, 10]])]);
    // A heartbeat answered while the server closes its connections.
    beats.heard(2, 60_000, 20);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(written).toHaveLength(1);
  });
});
