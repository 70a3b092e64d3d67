import { describe, expect, it } from "vitest";
import type { Acquire } from "../api/pilots.js";
import type { DispatchedJob } from "../core/dispatch-records.js";
import type { AccessGuard } from "./access-guard.js";
import { AcquirePoll } from "./acquire-poll.js";
import type { ServerContext } from "./context.js";
import { EventHub } from "./events.js";
import { FullPilots } from "./full-pilots.js";
import { HeldReads } from "./held-reads.js";
import { QueueClaims } from "./queue-claims.js";
import type { PilotRow } from "./live-pilots.js";
import { Notifier } from "./notifier.js";
import { PilotHandoff } from "./pilot-handoff.js";

const pilot = { id: 1, queue: "q", slots: 2, status: "running" } as PilotRow;
const ask = (waitMs: number): Acquire => ({ capacity: 2, drivers: 0, published: [], waitMs });

/**
 * An acquire long-poll over a store that counts its reads of what the pilot holds: the pilot holds `holding`
 * jobs, and a claim gives it as many as asked. `failReads` makes every read fail.
 */
function poll({ failReads = false } = {}) {
  const notifier = new Notifier();
  const events = new EventHub(notifier);
  const state = { holding: 0, reads: 0 };
  const store = {
    held: {
      heldCountsOf: async (pilots: readonly number[]) => {
        state.reads++;
        if (failReads) throw new Error("the database is busy");
        return new Map(pilots.map((p) => [p, { count: state.holding, commands: [] }]));
      },
    },
    dispatch: {
      claimEach: async (_queue: string, shares: ReadonlyArray<{ pilotId: number; n: number }>) =>
        new Map(
          shares.map(({ pilotId, n }) => {
            state.holding += n;
            return [pilotId, Array.from({ length: n }, (_, i) => ({ jobId: i, attempt: 1, kind: "work", taskId: 1 }) as DispatchedJob)];
          }),
        ),
    },
  };
  const config = { maxWaitMs: 30_000, maxConcurrentHeldReads: 4, maxConcurrentClaims: 4, warmKeepMs: 60_000, warmContextsPerQueue: 8 };
  const ctx = { store, config, events, metrics: { dispatched: () => undefined } } as unknown as ServerContext;
  const full = new FullPilots(events);
  const acquire = new AcquirePoll(ctx, { guard: {} as AccessGuard, handoff: new PilotHandoff(ctx), full, held: new HeldReads(ctx), claims: new QueueClaims(ctx) });
  const listeners = () => (notifier as unknown as { listeners: Map<string, unknown> }).listeners.size;
  return { acquire, events, state, listeners };
}

describe("AcquirePoll", () => {
  it("waits without counting what a pilot holds when its last answer filled it, and counts again once a report woke it", async () => {
    const { acquire, events, state } = poll();
    expect((await acquire.run(pilot, ask(1000))).jobs).toHaveLength(2);
    expect(state.reads).toBe(1);
    // Full: the next request waits without a read; a report that frees its slots wakes it.
    const next = acquire.run(pilot, ask(5000));
    await new Promise((r) => setTimeout(r, 20));
    expect(state.reads).toBe(1);
    state.holding = 0;
    events.pilotWoken(pilot.id);
    expect((await next).jobs).toHaveLength(2);
    expect(state.reads).toBe(2);
  });

  it("counts again when the pilot's topic fired between two requests", async () => {
    const { acquire, events, state } = poll();
    await acquire.run(pilot, ask(1000));
    state.holding = 1;
    events.pilotWoken(pilot.id);
    expect((await acquire.run(pilot, ask(1000))).jobs).toHaveLength(1);
    expect(state.reads).toBe(2);
  });

  it("leaves no listener behind when a read fails", async () => {
    const { acquire, listeners } = poll({ failReads: true });
    await expect(acquire.run(pilot, ask(1000))).rejects.toThrow("the database is busy");
    expect(listeners()).toBe(0);
  });
});
