import { afterEach, describe, expect, it } from "vitest";
import { flushHops, hop, hopAt, hopFinals, startHopTrace, stopHopTrace, tracingHops, type HopRecord } from "./hop-trace.js";
import { epochNow } from "./epoch-clock.js";

describe("hop trace", () => {
  afterEach(() => stopHopTrace());

  it("records nothing and calls no sink while off", () => {
    hop("server.recorded", 1, 2, 1);
    hopAt("driver.call", 1, 0, 0, 5);
    hopFinals("server.applied", [{ jobId: 2, attempt: 1, state: "finished" }]);
    const got: HopRecord[] = [];
    startHopTrace((r) => got.push(...r));
    flushHops();
    expect(got).toEqual([]);
  });

  it("hands a process's hops to its sink when flushed, with the shared clock", () => {
    const got: HopRecord[] = [];
    startHopTrace((r) => got.push(...r));
    expect(tracingHops()).toBe(true);
    const before = epochNow();
    hop("pilot.received", 3, 7, 1);
    hopAt("driver.call", 3, 0, 0, 42.5);
    expect(got).toEqual([]);
    flushHops();
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ hop: "pilot.received", task: 3, job: 7, attempt: 1 });
    expect(got[0]!.t).toBeGreaterThanOrEqual(before);
    // The clock is time since the epoch, comparable across processes.
    expect(Math.abs(got[0]!.t - Date.now())).toBeLessThan(1000);
    expect(got[1]).toEqual({ hop: "driver.call", task: 3, job: 0, attempt: 0, t: 42.5 });
  });

  it("records the final updates of a report, not running states", () => {
    const got: HopRecord[] = [];
    startHopTrace((r) => got.push(...r));
    hopFinals("server.report_received", [
      { jobId: 1, attempt: 1, state: "running" },
      { jobId: 2, attempt: 3, state: "failed" },
    ]);
    stopHopTrace();
    expect(got.map((r) => [r.hop, r.job, r.attempt])).toEqual([["server.report_received", 2, 3]]);
    expect(tracingHops()).toBe(false);
  });

  it("flushes by itself once a batch is full, so memory stays bounded", () => {
    const batches: number[] = [];
    startHopTrace((r) => batches.push(r.length));
    for (let i = 0; i < 5000; i++) hop("executor.start", 1, i, 1);
    expect(batches).toEqual([4096]);
  });
});
