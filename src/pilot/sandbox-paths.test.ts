import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sandboxPaths, shownProjectDir } from "./sandbox-paths.js";

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

describe("sandboxPaths", () => {
  it("hides a data directory it is given before a server has written its credentials there, and others only once it has", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pando-sandbox-paths-"));
    try {
      const cacheDir = join(dataDir, "cache");
      mkdirSync(cacheDir);
      const at = { bundlePath: join(cacheDir, "b.mjs"), cacheDir, workRoot: tmpdir() };
      const hides = (paths: ReturnType<typeof sandboxPaths>) => paths.hidden.some((h) => h.path === dataDir && h.dir);
      expect(hides(sandboxPaths(at, {}))).toBe(false);
      expect(hides(sandboxPaths({ ...at, dataDir }, {}))).toBe(true);
      writeFileSync(join(dataDir, "credentials.json"), "{}");
      expect(hides(sandboxPaths(at, {}))).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
