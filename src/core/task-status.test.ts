import { describe, expect, it } from "vitest";
import { taskStatusFromCounts, workflowStatusOnClose } from "./task-status.js";

describe("taskStatusFromCounts", () => {
  const counts = (nJobs: number, nFinished: number, nFailed: number, nCancelled: number) => ({
    nJobs,
    nFinished,
    nFailed,
    nCancelled,
  });

  it("is running while some jobs are not final", () => {
    expect(taskStatusFromCounts(counts(3, 0, 0, 0), false)).toBe("running");
    expect(taskStatusFromCounts(counts(3, 1, 1, 0), false)).toBe("running");
    expect(taskStatusFromCounts(counts(3, 1, 0, 1), false)).toBe("running");
  });

  it("stays running after a kill until every job is final", () => {
    expect(taskStatusFromCounts(counts(3, 1, 0, 1), true)).toBe("running");
  });

  it("is done when every job finished", () => {
    expect(taskStatusFromCounts(counts(3, 3, 0, 0), false)).toBe("done");
  });

  it("is finished when some jobs finished", () => {
    expect(taskStatusFromCounts(counts(3, 1, 2, 0), false)).toBe("finished");
    expect(taskStatusFromCounts(counts(3, 2, 0, 1), false)).toBe("finished");
  });

  it("is failed when no job finished", () => {
    expect(taskStatusFromCounts(counts(3, 0, 3, 0), false)).toBe("failed");
    expect(taskStatusFromCounts(counts(2, 0, 1, 1), false)).toBe("failed");
  });

  it("is cancelled when killed, whatever the jobs did", () => {
    expect(taskStatusFromCounts(counts(3, 0, 0, 3), true)).toBe("cancelled");
    expect(taskStatusFromCounts(counts(3, 3, 0, 0), true)).toBe("cancelled");
    expect(taskStatusFromCounts(counts(3, 1, 1, 1), true)).toBe("cancelled");
  });
});

describe("workflowStatusOnClose", () => {
  it("is finished without tasks", () => {
    expect(workflowStatusOnClose([], "returned")).toBe("finished");
  });

  it("is finished when every task is done", () => {
    expect(workflowStatusOnClose(["done", "done"], "returned")).toBe("finished");
  });

  it("is subfinished when some task is done or finished", () => {
    expect(workflowStatusOnClose(["done", "failed"], "returned")).toBe("subfinished");
    expect(workflowStatusOnClose(["finished"], "returned")).toBe("subfinished");
    expect(workflowStatusOnClose(["failed", "finished", "cancelled"], "returned")).toBe("subfinished");
  });

  it("is failed when no task is done or finished", () => {
    expect(workflowStatusOnClose(["failed"], "returned")).toBe("failed");
    expect(workflowStatusOnClose(["failed", "cancelled"], "returned")).toBe("failed");
  });

  it("is failed when the body threw, even with every task done", () => {
    expect(workflowStatusOnClose(["done"], "threw")).toBe("failed");
    expect(workflowStatusOnClose([], "threw")).toBe("failed");
  });

  it("is cancelled when the body was killed", () => {
    expect(workflowStatusOnClose(["done"], "killed")).toBe("cancelled");
    expect(workflowStatusOnClose(["running"], "killed")).toBe("cancelled");
  });

  it("is running while a task is open", () => {
    expect(workflowStatusOnClose(["done", "running"], "returned")).toBe("running");
    expect(workflowStatusOnClose(["new"], "returned")).toBe("running");
  });

  it("is running while a task waits for a queue (pending)", () => {
    expect(workflowStatusOnClose(["pending"], "returned")).toBe("running");
    expect(workflowStatusOnClose(["done", "pending"], "returned")).toBe("running");
  });
});
