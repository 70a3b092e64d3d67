import { describe, expect, it } from "vitest";
import { JobError, TaskFailedError, WorkflowError } from "../sdk/errors.js";
import { WorkflowFailedError } from "../sdk/workflow-handle.js";
import { describeRunError, UsageError } from "./run-errors.js";

const remote = "RangeError: x=3 is out of range\n    at fit (model.ts:12:9)";
const jobError = (jobId: number | null, index: number, stack: string | null = remote) =>
  new JobError(
    { code: "user_error", name: "RangeError", message: `x=${index} is out of range`, stack: stack ?? undefined },
    { jobId, taskId: jobId === null ? null : 7, key: `k${index}`, index, attempts: 3 },
  );
const embedded = { server: undefined, verbose: false };
const onServer = { server: "http://pando.example:8720", verbose: false };
const verbose = { server: undefined, verbose: true };

describe("describeRunError: what pando run prints when it stops on an error", () => {
  it("says what the command line got wrong in one line, with nothing more", () => {
    expect(describeRunError(new UsageError("a.ts has no export 'nope' (its workflows: wf)"), verbose)).toBe(
      "pando: a.ts has no export 'nope' (its workflows: wf)",
    );
  });

  it("gives a failed job as one line, as the job threw it, and its stack only with --verbose", () => {
    expect(describeRunError(jobError(12, 3), embedded)).toBe(
      "pando: job 12 of task 7 failed after 3 attempts: RangeError: x=3 is out of range (--verbose prints the stack)",
    );
    expect(describeRunError(jobError(12, 3), onServer)).toBe(
      "pando: job 12 of task 7 failed after 3 attempts: RangeError: x=3 is out of range " +
        "(--verbose prints the stack; pando show --job 12 --server http://pando.example:8720 shows it)",
    );
    expect(describeRunError(jobError(12, 3), verbose)).toBe(`pando: job 12 of task 7 failed after 3 attempts: RangeError: x=3 is out of range\n${remote}`);
    const walltime = new JobError({ code: "walltime_exceeded", message: "ran longer than 10s" }, { jobId: 4, taskId: 2, key: "k", index: 0, attempts: 1 });
    expect(describeRunError(walltime, embedded)).toBe("pando: job 4 of task 2 failed after 1 attempt: walltime_exceeded: ran longer than 10s");
  });

  it("gives a task whose every job failed as one line, and up to three job stacks with --verbose", () => {
    const failed = new TaskFailedError(7, "fit", [0, 1, 2, 3].map((i) => jobError(20 + i, i)));
    expect(describeRunError(failed, onServer)).toBe(
      "pando: all 4 job(s) of task 7 (fit) failed; the first error: x=0 is out of range " +
        "(--verbose prints the stack; pando show --task 7 --server http://pando.example:8720 shows it)",
    );
    const lines = describeRunError(failed, verbose).split("\n");
    expect(lines[0]).toBe("pando: all 4 job(s) of task 7 (fit) failed; the first error: x=0 is out of range");
    expect(lines.filter((l) => l.startsWith("  job "))).toEqual([
      "  job 20 of task 7: RangeError: x=3 is out of range",
      "  job 21 of task 7: RangeError: x=3 is out of range",
      "  job 22 of task 7: RangeError: x=3 is out of range",
    ]);
    const local = new TaskFailedError(null, "fit", [jobError(null, 0, null)]);
    expect(describeRunError(local, onServer)).toBe("pando: all 1 job(s) of the local (fit) failed; the first error: x=0 is out of range");
  });

  it("names an error's class unless it is a plain Error or Pando's own, and keeps the stack for --verbose", () => {
    const thrown = new TypeError("bo.suggest is not a function");
    expect(describeRunError(thrown, embedded)).toBe("pando: TypeError: bo.suggest is not a function (--verbose prints the stack)");
    expect(describeRunError(thrown, verbose)).toBe(`pando: TypeError: bo.suggest is not a function\n${thrown.stack}`);
    expect(describeRunError(new Error("kaboom"), embedded)).toBe("pando: kaboom (--verbose prints the stack)");
    expect(describeRunError(new WorkflowError("no server"), embedded)).toBe("pando: no server (--verbose prints the stack)");
    expect(describeRunError("a thrown string", embedded)).toBe("pando: a thrown string");
  });

  it("points at the workflow of a remote driver that failed", () => {
    const err = new WorkflowFailedError(9, "failed", "workflow 9 (optimize) failed: diverged", "Error", "Error: diverged\n    at body");
    expect(describeRunError(err, onServer)).toBe(
      "pando: workflow 9 (optimize) failed: diverged (--verbose prints the stack; pando show 9 --server http://pando.example:8720 shows it)",
    );
    expect(describeRunError(err, verbose)).toContain("--- driver stack ---\nError: diverged\n    at body");
  });
});
