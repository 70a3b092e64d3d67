import { describe, expect, it } from "vitest";
import type { TaskView } from "../api/tasks.js";
import type { JobOutcome } from "../core/dispatch-records.js";
import type { TaskChange } from "../store/task-store.js";
import { resultsFrom } from "./carried-results.js";

const view = (resultCursor: number) => ({ id: 7, resultCursor }) as TaskView;
const outcome = (seq: number): JobOutcome => ({
  jobId: 100 + seq,
  index: seq - 1,
  key: `k${seq}`,
  state: "finished",
  result: String(seq),
  attempts: 1,
  startedAt: 1,
  endedAt: 2,
  pilot: "p",
  queue: "q",
  via: "rest",
  seq,
});
/** The change of a report that made results seqFrom+1..seqTo final, with them or without. */
const change = (seqFrom: number, seqTo: number, carried = true): TaskChange => ({
  taskId: 7,
  workflowId: 1,
  status: "running",
  ended: false,
  seqFrom,
  seqTo,
  ...(carried ? { results: { view: view(seqTo), outcomes: Array.from({ length: seqTo - seqFrom }, (_, i) => outcome(seqFrom + i + 1)) } } : {}),
});

describe("results carried by the changes that woke a long-poll", () => {
  it("answers with those that follow the cursor one after the other, whatever order they were heard in, and the last task", () => {
    const answer = resultsFrom([change(5, 7), change(3, 5)], 3, 100);
    expect(answer?.results.map((r) => r.seq)).toEqual([4, 5, 6, 7]);
    expect(answer?.cursor).toBe(7);
    expect(answer?.task).toEqual(view(7));
  });

  it("leaves out what the cursor has passed, and stops at the limit", () => {
    const answer = resultsFrom([change(0, 2), change(2, 6)], 2, 3);
    expect(answer?.results.map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(answer?.cursor).toBe(5);
  });

  it("stops at a gap or at a change without its results, and answers nothing when the first is one", () => {
    expect(resultsFrom([change(2, 4), change(5, 6)], 2, 100)?.cursor).toBe(4);
    expect(resultsFrom([change(2, 4, false), change(4, 6)], 2, 100)).toBeUndefined();
    expect(resultsFrom([change(3, 4)], 2, 100)).toBeUndefined();
    expect(resultsFrom([], 2, 100)).toBeUndefined();
  });
});
