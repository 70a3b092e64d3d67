import { describe, expect, it } from "vitest";
import { planRetirement, warmTarget, type SizedExecutor } from "./pool-sizing.js";

const idle = (key: string, lastBusy: number): SizedExecutor => ({ key, ready: true, jobs: 0, lastBusy });
const plan = (executors: SizedExecutor[], fields: { keep?: number; idleMs?: number; now?: number; waiting?: string[] } = {}) =>
  planRetirement({ executors, waitingKeys: new Set(fields.waiting ?? []), keep: fields.keep ?? 1, idleMs: fields.idleMs ?? 100, now: fields.now ?? 1_000 });

describe("warmTarget", () => {
  it("is the warm count, no more than the slots", () => {
    expect(warmTarget(64, 16)).toBe(16);
    expect(warmTarget(10, 16)).toBe(10);
    expect(warmTarget(4, 0)).toBe(0);
  });
});

describe("planRetirement", () => {
  it("retires executors beyond the warm count idle for the idle time, those idle longest first", () => {
    const executors = [idle("a", 950), idle("a", 800), idle("a", 850), idle("a", 990)];
    expect(plan(executors, { keep: 2 })).toEqual({ retire: [1, 2], nextAt: undefined });
    // Down to the warm count only: of four, one is due now, the next one later.
    expect(plan(executors, { keep: 1, now: 900 })).toEqual({ retire: [1], nextAt: 950 });
  });

  it("keeps the warm count of each context apart", () => {
    const executors = [idle("a", 0), idle("b", 0), idle("a", 0), idle("b", 0), idle("b", 0)];
    expect(plan(executors, { keep: 2 }).retire).toEqual([1]);
  });

  it("never retires an executor that holds a job or is starting, and counts them among those kept", () => {
    const busy: SizedExecutor = { key: "a", ready: true, jobs: 1, lastBusy: 0 };
    const starting: SizedExecutor = { key: "a", ready: false, jobs: 0, lastBusy: 0 };
    expect(plan([busy, starting, idle("a", 0)], { keep: 1 }).retire).toEqual([2]);
    expect(plan([busy, starting], { keep: 0 })).toEqual({ retire: [], nextAt: undefined });
  });

  it("keeps every executor of a context whose jobs wait, or queue behind a running one", () => {
    const executors = [idle("a", 0), idle("a", 0)];
    expect(plan(executors, { keep: 0, waiting: ["a"] }).retire).toEqual([]);
    const queued: SizedExecutor = { key: "a", ready: true, jobs: 3, lastBusy: 0 };
    expect(plan([...executors, queued], { keep: 0 }).retire).toEqual([]);
  });

  it("retires nothing with an idle time of 0, or at or under the warm count", () => {
    const executors = [idle("a", 0), idle("a", 0)];
    expect(plan(executors, { keep: 0, idleMs: 0 })).toEqual({ retire: [], nextAt: undefined });
    expect(plan(executors, { keep: 2 })).toEqual({ retire: [], nextAt: undefined });
  });

  it("says when the next one is due when none is yet", () => {
    expect(plan([idle("a", 950), idle("a", 920)], { keep: 1 })).toEqual({ retire: [], nextAt: 1_020 });
  });
});
