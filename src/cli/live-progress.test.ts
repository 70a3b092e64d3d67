import { describe, expect, it } from "vitest";
import { CompletionRate, renderLive, type LiveTask } from "./live-progress.js";

const task = (over: Partial<LiveTask>): LiveTask => ({
  taskId: 1,
  work: "evaluate",
  nJobs: 20,
  finished: 0,
  failed: 0,
  running: 0,
  done: false,
  ...over,
});

describe("CompletionRate", () => {
  it("has no estimate before any job has ended", () => {
    const rate = new CompletionRate(0);
    expect(rate.remainingMs(10, 0)).toBeUndefined();
    rate.record(1000, 0);
    expect(rate.remainingMs(10, 1000)).toBeUndefined();
  });

  it("extrapolates the recent rate to the jobs left", () => {
    const rate = new CompletionRate(0);
    for (let t = 0; t <= 10_000; t += 1000) rate.record(t, t / 1000);
    // 10 jobs in 10 s: the 30 left take 30 s.
    expect(rate.remainingMs(40, 10_000)).toBe(30_000);
  });

  it("follows a change of pace within its window", () => {
    const rate = new CompletionRate(0, 10_000);
    for (let t = 0; t <= 60_000; t += 1000) rate.record(t, t <= 50_000 ? t / 10_000 : 5 + (t - 50_000) / 1000);
    // One job a second over the last ten seconds, although the run's average is much slower.
    expect(rate.remainingMs(25, 60_000)).toBe(10_000);
  });

  it("falls back to the whole run's rate when nothing ended within the window (long jobs)", () => {
    const rate = new CompletionRate(0, 10_000);
    rate.record(5000, 1);
    for (let t = 6000; t <= 40_000; t += 1000) rate.record(t, 1);
    // One job in 40 s so far: three more take 120 s.
    expect(rate.remainingMs(4, 40_000)).toBe(120_000);
  });

  it("says zero when every known job has ended, and counts time without progress against the rate", () => {
    const ended = new CompletionRate(0);
    ended.record(2000, 4);
    expect(ended.remainingMs(4, 2000)).toBe(0);
    const stalled = new CompletionRate(0);
    stalled.record(0, 0);
    stalled.record(1000, 2);
    // 2 jobs by 1 s, but asked at 3 s with nothing more ended: 2 jobs in 3 s, so the 2 left take 3 s.
    expect(stalled.remainingMs(4, 3000)).toBe(3000);
  });
});

describe("renderLive", () => {
  it("shows the run, its totals and a bar per running task", () => {
    const lines = renderLive(
      {
        title: "workflow 12 (optimize)",
        tasks: [
          task({ taskId: 3, nJobs: 4, finished: 4, done: true }),
          task({ taskId: 4, finished: 9, failed: 1, running: 4 }),
        ],
        elapsedMs: 14_200,
        remainingMs: 31_000,
      },
      200,
    );
    expect(lines).toEqual([
      "workflow 12 (optimize) · 14.2s elapsed · ETA 31.0s",
      "tasks 1/2 done · jobs 13/24 finished, 4 running, 1 failed",
      `  task 4 evaluate ${"█".repeat(10)}${"░".repeat(10)} 9/20 finished, 4 running, 1 failed`,
    ]);
  });

  it("says why a running task's jobs do not start", () => {
    const lines = renderLive(
      { title: "workflow 1 (w)", tasks: [task({ taskId: 4, waiting: "the 1 pilot of queue 'cluster' is pending in Slurm — BeginTime" })], elapsedMs: 0, remainingMs: undefined },
      200,
    );
    expect(lines[2]).toMatch(/ 0\/20 finished, 0 running, 0 failed · waits: the 1 pilot of queue 'cluster' is pending in Slurm — BeginTime$/);
  });

  it("waits for the first task without an ETA, and has none either once the known jobs have ended", () => {
    expect(renderLive({ title: "workflow 1 (w)", tasks: [], elapsedMs: 300, remainingMs: undefined }, 80)).toEqual([
      "workflow 1 (w) · 300ms elapsed · ETA –",
      "waiting for the first task",
    ]);
    const ended = renderLive({ title: "workflow 1 (w)", tasks: [task({ finished: 20, done: true })], elapsedMs: 1000, remainingMs: 0 }, 80);
    expect(ended[0]).toBe("workflow 1 (w) · 1.0s elapsed · ETA –");
  });

  it("cuts lines to the terminal's width and summarises tasks beyond the limit", () => {
    const tasks = Array.from({ length: 12 }, (_, i) => task({ taskId: i + 1 }));
    const lines = renderLive({ title: "workflow 1 (w)", tasks, elapsedMs: 0, remainingMs: undefined }, 40, 4);
    expect(lines).toHaveLength(2 + 4);
    expect(lines.at(-1)).toBe("  … and 9 more running tasks");
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(39);
    expect(lines[2]).toMatch(/^ {2}task 1 evaluate ░+…$/);
  });
});
