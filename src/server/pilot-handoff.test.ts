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
    h.startWaiting("local", 7, demand, 1);
    expect(h.wakeOnReport(7)).toBe(false);
  });

  it("one of a pilot that waits full: the report frees room for jobs already queued", () => {
    const { handoff: h } = handoff();
    h.startWaiting("local", 7, demand, 0);
    expect(h.wakeOnReport(7)).toBe(true);
  });

  it("one of a pilot not waiting here: between two long-polls, on another replica, or ended", () => {
    const { handoff: h } = handoff();
    expect(h.wakeOnReport(7)).toBe(true);
    h.startWaiting("local", 7, demand, 1);
    h.stopWaiting("local", 7);
    expect(h.wakeOnReport(7)).toBe(true);
    h.startWaiting("local", 8, demand, 1);
    h.forget(8);
    expect(h.wakeOnReport(8)).toBe(true);
  });
});

describe("PilotHandoff: which waiting pilots a new task is handed to", () => {
  it("at most `max`, those with room first, each group in the order they began to wait", () => {
    const { handoff: h } = handoff();
    h.startWaiting("local", 1, demand, 0);
    h.startWaiting("local", 2, demand, 1);
    h.startWaiting("local", 3, demand, 0);
    h.startWaiting("local", 4, demand, 1);
    h.startWaiting("other", 5, demand, 1);
    expect(h.waitingOn("local", 10).map((w) => w.pilotId)).toEqual([2, 4, 1, 3]);
    expect(h.waitingOn("local", 3).map((w) => w.pilotId)).toEqual([2, 4, 1]);
    expect(h.waitingOn(null, 10)).toEqual([]);
  });
});

describe("PilotHandoff: idle room", () => {
  it("sums by queue the room of the pilots waiting with room, until they stop waiting or end", () => {
    const { handoff: h } = handoff();
    h.startWaiting("a", 1, demand, 2);
    h.startWaiting("a", 2, demand, 3);
    h.startWaiting("b", 3, demand, 0);
    h.startWaiting("c", 4, demand, 1);
    expect(h.idleRoom()).toEqual(new Map([["a", 5], ["c", 1]]));
    h.stopWaiting("a", 1);
    h.forget(4);
    expect(h.idleRoom()).toEqual(new Map([["a", 3]]));
  });
});
