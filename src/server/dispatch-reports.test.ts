import pino from "pino";
import { describe, expect, it } from "vitest";
import type { Principal } from "../store/auth-store.js";
import type { ApplyResult } from "../store/dispatch-store.js";
import type { ServerContext } from "./context.js";
import { DispatchService, type DispatchDeps } from "./dispatch-service.js";
import { ReportRecorder } from "./report-recorder.js";

const RESULT: ApplyResult = { accepted: 1, ignored: 0, tasks: [], requeued: [], refused: [] };

/**
 * A dispatch service whose store records each transaction until the test lets it commit: a report alone, or
 * reports recorded together (their count in `together`).
 */
function service(maxConcurrentReports: number, { togetherFails = false } = {}) {
  const inStore: Array<() => void> = [];
  const together: number[] = [];
  const store = {
    pilots: { get: async (id: number) => ({ id, status: "running", queue: "local", slots: 1 }) },
    dispatch: {
      apply: () => new Promise<ApplyResult>((commit) => inStore.push(() => commit(RESULT))),
      applyReports: (reports: readonly unknown[]) => {
        together.push(reports.length);
        if (togetherFails) return Promise.reject(new Error("serialization failure"));
        return new Promise<ApplyResult[]>((commit) => inStore.push(() => commit(reports.map(() => RESULT))));
      },
    },
  };
  const ctx = {
    store,
    config: { maxConcurrentReports, maxPayloadBytes: 1 << 20, maxLogChars: 1000 },
    log: pino({ level: "silent" }),
    metrics: { count: () => undefined },
    events: { tasksChanged: () => undefined, pilotWoken: () => undefined },
  } as unknown as ServerContext;
  const deps = {
    keys: { requireSelf: async () => undefined },
    ends: { tasksEnded: () => undefined },
    handoff: { wakeOnReport: () => true },
    full: { forget: () => undefined },
    reports: new ReportRecorder(ctx),
  } as unknown as DispatchDeps;
  return { dispatch: new DispatchService(ctx, deps), inStore, together };
}

const pilot = { kind: "pilot", userId: 1 } as Principal;
const update = (jobId: number) => ({ updates: [{ jobId, attempt: 1, state: "finished" as const, result: "1" }] });
const turn = () => new Promise((r) => setImmediate(r));
/** Long enough for reports sent now to reach the recorder and for its gathering turn to end. */
const settle = async () => {
  for (let i = 0; i < 3; i++) await turn();
};

describe("pilots' reports", () => {
  it("that arrive in one turn of the event loop are recorded in one transaction", async () => {
    const { dispatch, inStore, together } = service(4);
    const reports = [1, 2, 3].map((pilotId) => dispatch.report(pilot, pilotId, update(pilotId)));
    await settle();
    expect(together).toEqual([3]);
    inStore.shift()!();
    expect(await Promise.all(reports)).toEqual(Array(3).fill({ accepted: 1, ignored: 0 }));
  });

  it("are recorded at most maxConcurrentReports transactions at once; the others wait in the server, then go together", async () => {
    const { dispatch, inStore, together } = service(2);
    const reports = [];
    for (const pilotId of [1, 2]) {
      reports.push(dispatch.report(pilot, pilotId, update(pilotId)));
      await settle();
    }
    expect(inStore).toHaveLength(2);
    expect(together).toEqual([]);
    reports.push(...[3, 4, 5].map((pilotId) => dispatch.report(pilot, pilotId, update(pilotId))));
    await settle();
    expect(inStore).toHaveLength(2);
    inStore.shift()!();
    await settle();
    // The three that waited take the freed turn as one transaction.
    expect(inStore).toHaveLength(2);
    expect(together).toEqual([3]);
    while (inStore.length > 0) {
      inStore.shift()!();
      await settle();
    }
    expect(await Promise.all(reports)).toEqual(Array(5).fill({ accepted: 1, ignored: 0 }));
  });

  it("are recorded one by one when recording them together fails, so that none is lost", async () => {
    const { dispatch, inStore, together } = service(1, { togetherFails: true });
    const reports = [dispatch.report(pilot, 1, update(1))];
    await settle();
    reports.push(...[2, 3].map((pilotId) => dispatch.report(pilot, pilotId, update(pilotId))));
    await settle();
    expect(inStore).toHaveLength(1);
    inStore.shift()!();
    await settle();
    expect(together).toEqual([2]);
    // Then each alone, in turn.
    for (let left = 2; left > 0; left--) {
      expect(inStore).toHaveLength(1);
      inStore.shift()!();
      await settle();
    }
    expect(await Promise.all(reports)).toEqual(Array(3).fill({ accepted: 1, ignored: 0 }));
  });
});
