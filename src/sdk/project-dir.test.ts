import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_DIR_KEY, projectDirOf, projectDirStatement } from "../bundle/project-dir.js";
import { projectDir } from "./project-dir.js";

const root = mkdtempSync(join(tmpdir(), "pando-project-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("projectDirOf", () => {
  it("is the nearest directory above the entry with a package.json", () => {
    mkdirSync(join(root, "app", "src", "deep"), { recursive: true });
    writeFileSync(join(root, "app", "package.json"), "{}");
    expect(projectDirOf(join(root, "app", "src", "deep", "main.ts"))).toBe(join(root, "app"));
    expect(projectDirOf(join(root, "app", "main.ts"))).toBe(join(root, "app"));
  });
});

describe("projectDir", () => {
  it("is what the bundle's first statement names, once a bundle ran it", () => {
    const key = Symbol.for(PROJECT_DIR_KEY);
    const g = globalThis as Record<symbol, unknown>;
    const before = g[key];
    try {
      new Function(projectDirStatement(join(root, "app", "src", "main.ts")))();
      expect(projectDir()).toBe(join(root, "app"));
    } finally {
      g[key] = before;
    }
  });

  it("is the working directory's project under a tool that runs the program (this test runner)", () => {
    expect(projectDir()).toBe(projectDirOf(join(process.cwd(), "package.json")));
  });
});
