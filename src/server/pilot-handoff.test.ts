import { describe, expect, it } from "vitest";
import type { ServerContext } from "./context.js";
import { PilotHandoff, type WaitingDemand } from "./pilot-handoff.js";

const demand: WaitingDemand = { capacity: 2, slots: 1, drivers: 0, prefetchNamed: true, prefetch: [] };

function handoff(): { handoff: PilotHandoff; woken: number[] } {
  const woken: number[] = [];
  const ctx = {
    config: { warmKeepMs: 0, warmContextsPerQueue: 1 },
    events: { pilotWoken: (id: number) => woken.push(id) },
  } as unknown as Pick<ServerContext, "config" | "events">;
  return { handoff: new PilotHandoff(ctx), woken };
}

describe("PilotHandoff: which reports wake their pilot's long-poll", () => {
  it("not one of a pilot that waits with room: the queue had nothing for it, and new jobs wake it through the queue", () => {
    const { handoff: h } = handoff();
    h.startWaiting("local", 7, demand, true);
    expect(h.wakeOnReport(7)).toBe(false);
  });

  it("one of a pilot that waits full: the report frees room for jobs already queued", () => {
    const { handoff: h } = handoff();
    h.startWaiting("local", 7, demand, false);
    expect(h.wakeOnReport(7)).toBe(true);
  });

  it("one of a pilot not waiting here: between two long-polls, on another replica, or ended", () => {
    const { handoff: h } = handoff();
    expect(h.wakeOnReport(7)).toBe(true);
    h.startWaiting("local", 7, demand, true);
    h.stopWaiting("local", 7);
    expect(h.wakeOnReport(7)).toBe(true);
    h.startWaiting("local", 8, demand, true);
    h.forget(8);
    expect(h.wakeOnReport(8)).toBe(true);
  });
});
