import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ErrorInfo } from "../core/errors.js";
import type { DispatchedJob } from "../core/dispatch-records.js";
import { dispatchedJob } from "./dispatched-job.fixture.js";
import { LimitsWatcher } from "./limits-watcher.js";

function job(jobId: number, limits: { walltimeMs?: number; memoryMb?: number }): DispatchedJob {
  return dispatchedJob(jobId, { index: 0, key: "k", ...limits });
}

describe("LimitsWatcher", () => {
  let over: Array<[number, ErrorInfo]>;
  let rss: number | undefined;
  let watcher: LimitsWatcher;

  beforeEach(() => {
    vi.useFakeTimers();
    over = [];
    rss = 100;
    watcher = new LimitsWatcher((j, error) => over.push([j.jobId, error]), 500, () => rss);
  });
  afterEach(() => {
    watcher.stopAll();
    vi.useRealTimers();
  });

  it("tells when a job runs past its walltime, counted from its first start", () => {
    const j = job(1, { walltimeMs: 1000 });
    watcher.watch(j, 42);
    vi.advanceTimersByTime(600);
    // Told again that it runs (another job of its executor ended): its walltime does not start over.
    watcher.watch(j, 42);
    vi.advanceTimersByTime(399);
    expect(over).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(over).toEqual([[1, { code: "walltime_exceeded", message: "the job ran longer than its walltime of 1000 ms and was killed" }]]);
  });

  it("tells when the process tree of a job's executor goes over the job's memory", () => {
    watcher.watch(job(1, { memoryMb: 256 }), 42);
    vi.advanceTimersByTime(1000);
    expect(over).toEqual([]);
    rss = 300.4;
    vi.advanceTimersByTime(500);
    expect(over).toEqual([
      [1, { code: "out_of_memory", message: "the job's processes used 300 MiB, over the 256 MiB it asked for, and were killed" }],
    ]);
  });

  it("cannot watch memory without a process, nor of a process that is gone", () => {
    rss = 10_000;
    watcher.watch(job(1, { memoryMb: 256 }), undefined);
    vi.advanceTimersByTime(2000);
    rss = undefined;
    watcher.watch(job(2, { memoryMb: 256 }), 42);
    vi.advanceTimersByTime(2000);
    expect(over).toEqual([]);
  });

  it("stops watching a job that ended, and watches nothing of a job without limits", () => {
    watcher.watch(job(1, { walltimeMs: 1000, memoryMb: 1 }), 42);
    watcher.stop({ jobId: 1, attempt: 1 });
    watcher.watch(job(2, {}), 42);
    rss = 10_000;
    vi.advanceTimersByTime(5000);
    expect(over).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
