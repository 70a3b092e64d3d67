import { describe, expect, it } from "vitest";
import { listSchedule, lowerBound, runOverhead } from "./timing.js";

describe("lowerBound", () => {
  it("is the longest job or the total spread over the slots, whichever is larger", () => {
    expect(lowerBound([1, 1, 1, 1], 2)).toBe(2);
    expect(lowerBound([5, 1, 1], 2)).toBe(5);
    expect(lowerBound([3, 3, 3], 1)).toBe(9);
    expect(lowerBound([], 4)).toBe(0);
    expect(() => lowerBound([1], 0)).toThrow();
  });
});

describe("listSchedule", () => {
  it("gives each job in turn to the slot that frees first", () => {
    // Slots: [1, 1] → the 3 goes to one, the 2 to the other: 4 and 3.
    expect(listSchedule([1, 1, 3, 2], 2)).toBe(4);
    // In this order it is worse than the bound (5): greedy leaves the long job for last.
    expect(listSchedule([2, 2, 2, 2, 4], 2)).toBe(8);
    expect(lowerBound([2, 2, 2, 2, 4], 2)).toBe(6);
    expect(listSchedule([1, 2, 3], 5)).toBe(3);
  });
});

describe("runOverhead", () => {
  it("sums the iterations' ideals and splits the wall time into its parts", () => {
    const r = runOverhead(
      { createdAt: 1000, endedAt: 1900 },
      [
        // Listed out of order: iterations are taken in the order of their creation.
        { taskId: 8, createdAt: 1500, jobs: [{ startedAt: 1520, endedAt: 1800 }] },
        {
          taskId: 7,
          createdAt: 1010,
          jobs: [
            { startedAt: 1050, endedAt: 1250 },
            { startedAt: 1060, endedAt: 1160 },
            { startedAt: 1170, endedAt: 1470 },
          ],
        },
      ],
      2,
    );
    expect(r.iterations.map((i) => i.taskId)).toEqual([7, 8]);
    expect(r.iterations[0]).toEqual({ taskId: 7, jobs: 3, jobTime: 600, lowerBound: 300, listSchedule: 400, beforeTask: 10, toFirstStart: 40, jobsSpan: 420 });
    expect(r.iterations[1]).toMatchObject({ lowerBound: 280, beforeTask: 30, toFirstStart: 20, jobsSpan: 280 });
    expect(r.makespan).toBe(900);
    expect(r.jobTime).toBe(880);
    expect(r.ideal).toBe(580);
    expect(r.listScheduled).toBe(680);
    expect(r.overhead).toBe(320);
    expect(r.ratio).toBeCloseTo(900 / 580, 12);
    expect(r.afterLastJob).toBe(100);
  });

  it("refuses a task none of whose jobs ran", () => {
    expect(() => runOverhead({ createdAt: 0, endedAt: 10 }, [{ taskId: 1, createdAt: 1, jobs: [] }], 1)).toThrow(/task 1/);
  });
});
