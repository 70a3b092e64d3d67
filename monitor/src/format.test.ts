import { describe, expect, it } from "vitest";
import { elapsed, formatCount, formatDuration, formatNumber, formatPercent, formatTime, prettyJson, progressOf, shorten } from "./format.js";

describe("formatTime", () => {
  it("shows the date with the time, today's too", () => {
    expect(formatTime(Date.now())).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(formatTime(new Date(2026, 0, 2, 3, 4, 5).getTime())).toBe("2026-01-02 03:04:05");
  });
  it("shows a dash for no time", () => {
    expect(formatTime(null)).toBe("—");
    expect(formatTime(undefined)).toBe("—");
  });
});

describe("formatDuration", () => {
  it("uses the largest units that matter", () => {
    expect(formatDuration(350)).toBe("350 ms");
    expect(formatDuration(4_250)).toBe("4.2 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(185_000)).toBe("3 m 05 s");
    expect(formatDuration(2 * 3_600_000 + 10 * 60_000)).toBe("2 h 10 m");
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe("3 d 4 h");
  });
  it("shows a dash for nothing and zero for clock skew", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(-5)).toBe("0 ms");
  });
  it("measures running things until now", () => {
    expect(elapsed(1_000, null, 5_000)).toBe(4_000);
    expect(elapsed(1_000, 2_000, 5_000)).toBe(1_000);
    expect(elapsed(null, null, 5_000)).toBeNull();
  });
});

describe("counts and progress", () => {
  it("separates thousands", () => {
    expect(formatCount(100_000)).toBe("100,000");
  });
  it("counts final jobs of all jobs, floored to a tenth like the server", () => {
    expect(progressOf({ nJobs: 3, nFinished: 1, nFailed: 0, nCancelled: 0 })).toBe(33.3);
    expect(progressOf({ nJobs: 3, nFinished: 1, nFailed: 1, nCancelled: 1 })).toBe(100);
    expect(progressOf({ nJobs: 0, nFinished: 0, nFailed: 0, nCancelled: 0 })).toBe(0);
    expect(formatPercent(33.3)).toBe("33.3%");
    expect(formatPercent(100)).toBe("100%");
  });
  it("prints measured values to six significant digits", () => {
    expect(formatNumber(0.25)).toBe("0.25");
    expect(formatNumber(1234.56789)).toBe("1234.57");
    expect(formatNumber(1 / 3)).toBe("0.333333");
    expect(formatNumber(42)).toBe("42");
  });
});

describe("prettyJson", () => {
  it("indents tagged-JSON text and leaves anything else as it is", () => {
    expect(prettyJson('[1,{"$date":"2024-01-01T00:00:00.000Z"}]')).toBe('[\n  1,\n  {\n    "$date": "2024-01-01T00:00:00.000Z"\n  }\n]');
    expect(prettyJson("not json")).toBe("not json");
    expect(prettyJson(null)).toBe("");
  });
  it("cuts long keys", () => {
    expect(shorten("8040a35e4881c6081109c00481e465045893e3da")).toBe("8040a35e4881…");
    expect(shorten("short")).toBe("short");
  });
});
