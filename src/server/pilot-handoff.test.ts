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

describe("PilotHandoff: which waiting pilots a new task is handed to", () => {
  it("at most `max`, those with room first, each group in the order they began to wait", () => {
    const { handoff: h } = handoff();
    h.startWaiting("local", 1, demand, false);
    h.startWaiting("local", 2, demand, true);
    h.startWaiting("local", 3, demand, false);
    h.startWaiting("local", 4, demand, true);
    h.startWaiting("other", 5, demand, true);
    expect(h.waitingOn("local", 10).map((w) => w.pilotId)).toEqual([2, 4, 1, 3]);
    expect(h.waitingOn("local", 3).map((w) => w.pilotId)).toEqual([2, 4, 1]);
    expect(h.waitingOn(null, 10)).toEqual([]);
  });
});
