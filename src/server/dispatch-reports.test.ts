import pino from "pino";
import { describe, expect, it } from "vitest";
import type { Principal } from "../store/auth-store.js";
import type { ApplyResult } from "../store/dispatch-store.js";
import type { ServerContext } from "./context.js";
import { DispatchService, type DispatchDeps } from "./dispatch-service.js";
import { ReportRecorder } from "./report-recorder.js";

const RESULT: ApplyResult = { accepted: 1, ignored: 0, tasks: [], requeued: [], refused: [] };

/** A dispatch service whose store records each report until the test lets it commit. */
function service(maxConcurrentReports: number) {
  const inStore: Array<() => void> = [];
  const store = {
    dispatch: {
      pilot: async (id: number) => ({ id, status: "running", queue: "local", slots: 1 }),
      apply: () => new Promise<ApplyResult>((commit) => inStore.push(() => commit(RESULT))),
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
    reports: new ReportRecorder(ctx),
  } as unknown as DispatchDeps;
  return { dispatch: new DispatchService(ctx, deps), inStore };
}

const pilot = { kind: "pilot", userId: 1 } as Principal;
const update = (jobId: number) => ({ updates: [{ jobId, attempt: 1, state: "finished" as const, result: "1" }] });
const turn = () => new Promise((r) => setImmediate(r));

describe("pilots' reports", () => {
  it("are recorded at most maxConcurrentReports at once; the others wait in the server, not in the store", async () => {
    const { dispatch, inStore } = service(2);
    const reports = [1, 2, 3, 4, 5].map((pilotId) => dispatch.report(pilot, pilotId, update(pilotId)));
    await turn();
    expect(inStore).toHaveLength(2);
    inStore.shift()!();
    await turn();
    expect(inStore).toHaveLength(2);
    while (inStore.length > 0) {
      inStore.shift()!();
      await turn();
    }
    expect(await Promise.all(reports)).toEqual(Array(5).fill({ accepted: 1, ignored: 0 }));
  });
});
