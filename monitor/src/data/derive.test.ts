import { describe, expect, it } from "vitest";
import type { TaskView } from "../../../src/api/tasks.js";
import { isFiltered, jobsQuery, openJobs, pilotsQuery, pointsRefreshKey, retriedMessage, taskTotals, workflowsQuery } from "./derive.js";

const task = (counts: Partial<TaskView>) => ({ nJobs: 0, nFinished: 0, nFailed: 0, nCancelled: 0, ...counts }) as TaskView;

describe("taskTotals", () => {
  it("sums each count over the tasks, a task without a running count adding none", () => {
    const tasks = [task({ nJobs: 10, nFinished: 4, nFailed: 1, nCancelled: 2, nRunning: 3 }), task({ nJobs: 5, nFinished: 5 })];
    expect(taskTotals(tasks)).toEqual({ nJobs: 15, nFinished: 9, nFailed: 1, nCancelled: 2, nRunning: 3 });
  });

  it("is all zeros for a workflow without tasks", () => {
    expect(taskTotals([])).toEqual({ nJobs: 0, nFinished: 0, nFailed: 0, nCancelled: 0, nRunning: 0 });
  });
});

describe("openJobs", () => {
  it("counts the jobs that neither finished, failed nor were cancelled", () => {
    expect(openJobs({ nJobs: 10, nFinished: 4, nFailed: 1, nCancelled: 2 })).toBe(3);
  });
});

describe("retriedMessage", () => {
  it("says how many jobs went back, singular for one", () => {
    expect(retriedMessage(1)).toBe("1 job sent back to the queue");
    expect(retriedMessage(0)).toBe("0 jobs sent back to the queue");
    expect(retriedMessage(12_000)).toBe("12,000 jobs sent back to the queue");
  });
});

describe("listing queries", () => {
  it("leaves out the workflow filters left empty", () => {
    expect(workflowsQuery({ status: "", name: "hpo*", user: "" }, 25)).toEqual({ limit: 25, status: undefined, name: "hpo*", user: undefined });
    expect(isFiltered({ status: "", name: "", user: "" })).toBe(false);
    expect(isFiltered({ status: "failed", name: "", user: "" })).toBe(true);
  });

  it("asks for any pilot status or job state when none is chosen", () => {
    expect(pilotsQuery("", 50)).toEqual({ limit: 50, status: undefined });
    expect(pilotsQuery("running", 50)).toEqual({ limit: 50, status: "running" });
    expect(jobsQuery("", 50)).toEqual({ limit: 50, state: undefined });
    expect(jobsQuery("failed", 50)).toEqual({ limit: 50, state: "failed" });
  });
});

describe("pointsRefreshKey", () => {
  it("changes with every finished job while they are few, then only at each 5 % more, and once more at the end", () => {
    expect(pointsRefreshKey(undefined, false)).toBeUndefined();
    expect(pointsRefreshKey(3, false)).not.toBe(pointsRefreshKey(4, false));
    expect(pointsRefreshKey(10_000, false)).toBe(pointsRefreshKey(10_100, false));
    expect(pointsRefreshKey(10_000, false)).not.toBe(pointsRefreshKey(10_600, false));
    expect(pointsRefreshKey(10_000, true)).not.toBe(pointsRefreshKey(10_000, false));
  });
});
