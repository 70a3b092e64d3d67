import { describe, expect, it } from "vitest";
import { jobKeyOf } from "../codec/job-key.js";
import { JobError } from "./errors.js";
import { MapResult } from "./map-result.js";
import type { Outcome } from "./outcome.js";

type Entry = [number];

const entries: Entry[] = [[1], [2], [3]];

function outcome(index: number, fields: Partial<Outcome>): Outcome {
  return {
    index,
    key: jobKeyOf(entries[index]),
    jobId: 100 + index,
    state: "finished",
    attempts: 1,
    startedAt: 1_700_000_000_000 + index,
    endedAt: 1_700_000_001_000 + index,
    pilot: "pilot-1",
    queue: "local",
    reportedVia: "rest",
    receivedVia: "rest",
    ...fields,
  };
}

const remoteStack = "Error: bad input\n    at evaluate (/work/user.ts:3:9)";

function sample(): MapResult<Entry, string> {
  return new MapResult<Entry, string>(7, entries, [
    outcome(0, { value: "one" }),
    outcome(1, {
      state: "failed",
      attempts: 3,
      error: { code: "user_error", name: "Error", message: "bad input", stack: remoteStack },
    }),
    outcome(2, { value: "three", pilot: null, startedAt: null, endedAt: null }),
  ]);
}

describe("MapResult", () => {
  it("gives the value of a successful entry and undefined for a failed one", () => {
    const r = sample();
    expect(r.size).toBe(3);
    expect(r.taskId).toBe(7);
    expect(r.get([1])).toBe("one");
    expect(r.get([3])).toBe("three");
    expect(r.get([2])).toBeUndefined();
    expect(r.get([4])).toBeUndefined();
  });

  it("looks values up by job key", () => {
    const r = sample();
    expect(r.getByKey(jobKeyOf([3]))).toBe("three");
    expect(r.getByKey(jobKeyOf([2]))).toBeUndefined();
    expect(r.getByKey("no-such-key")).toBeUndefined();
  });

  it("tells which entries succeeded", () => {
    const r = sample();
    expect(r.has([1])).toBe(true);
    expect(r.has([2])).toBe(false);
    expect(r.has([9])).toBe(false);
  });

  it("gives details with Dates for the times", () => {
    const r = sample();
    const d = r.details([1]);
    expect(d).toEqual({
      key: jobKeyOf([1]),
      index: 0,
      jobId: 100,
      state: "finished",
      error: undefined,
      attempts: 1,
      startedAt: new Date(1_700_000_000_000),
      endedAt: new Date(1_700_000_001_000),
      pilot: "pilot-1",
      queue: "local",
      reportedVia: "rest",
      receivedVia: "rest",
    });
    expect(d!.startedAt).toBeInstanceOf(Date);
    expect(r.details([3])).toMatchObject({ startedAt: null, endedAt: null, pilot: null });
    expect(r.details([2])).toMatchObject({ state: "failed", attempts: 3, error: { code: "user_error" } });
    expect(r.details([9])).toBeUndefined();
  });

  it("lists keys of every job and entries/values of successful ones, in input order", () => {
    const r = sample();
    expect(r.keys()).toEqual([jobKeyOf([1]), jobKeyOf([2]), jobKeyOf([3])]);
    expect(r.entries()).toEqual([
      [[1], "one"],
      [[3], "three"],
    ]);
    expect(r.entries()[0]![0]).toBe(entries[0]);
    expect(r.values()).toEqual(["one", "three"]);
  });

  it("lists failed entries with a JobError carrying code, job id, attempts and the remote stack", () => {
    const failed = sample().failed;
    expect(failed).toHaveLength(1);
    const f = failed[0]!;
    expect(f.entry).toEqual([2]);
    expect(f.key).toBe(jobKeyOf([2]));
    expect(f.details.state).toBe("failed");
    expect(f.error).toBeInstanceOf(JobError);
    expect(f.error.message).toBe("bad input");
    expect(f.error.code).toBe("user_error");
    expect(f.error.jobId).toBe(101);
    expect(f.error.taskId).toBe(7);
    expect(f.error.index).toBe(1);
    expect(f.error.attempts).toBe(3);
    expect(f.error.remoteStack).toBe(remoteStack);
    expect(f.error.stack).toContain("--- remote stack (job 101 of task 7, 3 attempt(s)) ---\n" + remoteStack);
  });

  it("gives a cancelled job without an error a killed JobError", () => {
    const r = new MapResult<Entry, string>(null, [[1]], [outcome(0, { state: "cancelled", jobId: null })]);
    const f = r.failed[0]!;
    expect(f.error.code).toBe("killed");
    expect(f.error.message).toBe("the job ended cancelled without a result");
    expect(f.error.jobId).toBeNull();
    expect(f.error.stack).not.toContain("remote stack");
  });
});
