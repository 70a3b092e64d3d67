import { describe, expect, it } from "vitest";
import { fields, formatCounts, formatDuration, formatError, formatSpan, formatTime, plural, table, truncate } from "./format.js";

describe("table", () => {
  it("pads each column to its widest cell and trims the ends of lines", () => {
    expect(table(["ID", "NAME", "STATUS"], [["1", "partial", "subfinished"], ["12", "x", "-"]])).toBe(
      ["ID  NAME     STATUS", "1   partial  subfinished", "12  x        -"].join("\n"),
    );
  });

  it("keeps a header alone when there are no rows, and every cell on one line", () => {
    expect(table(["A", "B"], [])).toBe("A  B");
    expect(table(["MESSAGE", "N"], [["two\nlines", "1"]])).toBe("MESSAGE    N\ntwo lines  1");
  });
});

describe("fields", () => {
  it("lines up the values and indents the further lines of a value under it", () => {
    expect(fields([["status", "failed"], ["error", "user_error: boom\n  at f"]])).toBe("status  failed\nerror   user_error: boom\n          at f");
  });
});

describe("formatTime", () => {
  it("prints local time to the second, and - for none", () => {
    expect(formatTime(new Date(2024, 2, 6, 13, 8, 7, 900).getTime())).toBe("2024-03-06 13:08:07");
    expect(formatTime(null)).toBe("-");
    expect(formatTime(undefined)).toBe("-");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [850, "850ms"],
    [1000, "1.0s"],
    [12_345, "12.3s"],
    [59_999, "59.9s"],
    [60_000, "1m00s"],
    [245_000, "4m05s"],
    [3_600_000, "1h00m"],
    [7_380_000, "2h03m"],
    [86_400_000, "1d00h"],
    [273_600_000, "3d04h"],
  ])("prints %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("never prints a negative length (clocks of two machines)", () => {
    expect(formatDuration(-5)).toBe("0ms");
  });
});

describe("formatSpan", () => {
  it("measures to the end, or to now while running, and is - before the start", () => {
    expect(formatSpan(1000, 3500)).toBe("2.5s");
    expect(formatSpan(1000, null, 61_000)).toBe("1m00s");
    expect(formatSpan(null, null)).toBe("-");
  });
});

describe("formatCounts", () => {
  it("lists non-zero counts in the given order", () => {
    expect(formatCounts({ failed: 2, done: 1, running: 0 }, ["running", "done", "failed"])).toBe("done:1 failed:2");
    expect(formatCounts({}, ["done"])).toBe("-");
  });
});

describe("small words", () => {
  it("pluralises, truncates and prints errors", () => {
    expect(plural(1, "job")).toBe("1 job");
    expect(plural(3, "job")).toBe("3 jobs");
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
    expect(formatError({ code: "user_error", message: "boom" })).toBe("user_error: boom");
    expect(formatError({ name: "TypeError", message: "bad" })).toBe("TypeError: bad");
    expect(formatError(null)).toBe("-");
  });
});
