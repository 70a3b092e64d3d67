import { describe, expect, it } from "vitest";
import { compileRules, isExcluded } from "./path-patterns.js";

const excluded = (lines: string[], path: string, isDir = false, base = "") => isExcluded(compileRules(lines, base), path, isDir);

describe("path patterns (.gitignore syntax)", () => {
  it("match a name at any depth, or relative to the base when the pattern has a slash", () => {
    expect(excluded(["*.log"], "a/b/x.log")).toBe(true);
    expect(excluded(["*.log"], "x.log.txt")).toBe(false);
    expect(excluded(["/build"], "build", true)).toBe(true);
    expect(excluded(["/build"], "src/build", true)).toBe(false);
    expect(excluded(["docs/*.md"], "docs/a.md")).toBe(true);
    expect(excluded(["docs/*.md"], "docs/sub/a.md")).toBe(false);
  });

  it("trailing slash: directories only", () => {
    expect(excluded(["out/"], "out", true)).toBe(true);
    expect(excluded(["out/"], "out", false)).toBe(false);
  });

  it("** across directories", () => {
    expect(excluded(["**/cache"], "a/b/cache", true)).toBe(true);
    expect(excluded(["data/**"], "data/x/y.bin")).toBe(true);
    expect(excluded(["a/**/z"], "a/z")).toBe(true);
    expect(excluded(["a/**/z"], "a/b/c/z")).toBe(true);
    expect(excluded(["a/**/z"], "b/a/z")).toBe(false);
  });

  it("?, classes and escapes", () => {
    expect(excluded(["file?.txt"], "file1.txt")).toBe(true);
    expect(excluded(["file?.txt"], "file10.txt")).toBe(false);
    expect(excluded(["[ab].txt"], "b.txt")).toBe(true);
    expect(excluded(["[!ab].txt"], "b.txt")).toBe(false);
    expect(excluded(["\\#notes"], "#notes")).toBe(true);
  });

  it("comments and blank lines are no rules; the last match wins, ! re-includes", () => {
    expect(compileRules(["# comment", "", "   "])).toEqual([]);
    expect(excluded(["*.csv", "!keep.csv"], "keep.csv")).toBe(false);
    expect(excluded(["*.csv", "!keep.csv"], "drop.csv")).toBe(true);
    expect(excluded(["!keep.csv", "*.csv"], "keep.csv")).toBe(true);
  });

  it("a nested .gitignore's rules apply below its directory only", () => {
    expect(excluded(["*.tmp"], "sub/x.tmp", false, "sub")).toBe(true);
    expect(excluded(["*.tmp"], "other/x.tmp", false, "sub")).toBe(false);
    expect(excluded(["/only"], "sub/only", false, "sub")).toBe(true);
    expect(excluded(["/only"], "sub/deeper/only", false, "sub")).toBe(false);
  });
});
