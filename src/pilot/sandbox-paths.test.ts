import { describe, expect, it } from "vitest";
import { shownProjectDir } from "./sandbox-paths.js";

const has = () => true;

describe("shownProjectDir", () => {
  it("shows a project directory with a package.json", () => {
    expect(shownProjectDir("/home/u/proj", "/home/u", has)).toBe("/home/u/proj");
  });

  it("never shows /, the pilot user's home or a directory above it, a relative path, or a directory without a package.json", () => {
    expect(shownProjectDir("/", "/home/u", has)).toBeUndefined();
    expect(shownProjectDir("/home/u", "/home/u", has)).toBeUndefined();
    expect(shownProjectDir("/home/u/", "/home/u", has)).toBeUndefined();
    expect(shownProjectDir("/home", "/home/u", has)).toBeUndefined();
    expect(shownProjectDir("proj", "/home/u", has)).toBeUndefined();
    expect(shownProjectDir("/home/u/proj", "/home/u", () => false)).toBeUndefined();
    expect(shownProjectDir(undefined, "/home/u", has)).toBeUndefined();
  });
});
