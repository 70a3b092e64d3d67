import { describe, expect, it } from "vitest";
import { projectDirNamedBy, projectDirOf, projectDirStatement } from "./project-dir.js";

describe("projectDirNamedBy", () => {
  it("reads back the directory a bundle's statement names", () => {
    const entry = '/nowhere/p q/"odd"/main.ts';
    const head = `// pando-environment: abc\nimport x; ${projectDirStatement(entry)}\nrest`;
    expect(projectDirNamedBy(head)).toBe('/nowhere/p q/"odd"');
    expect(projectDirOf(entry)).toBe('/nowhere/p q/"odd"');
  });

  it("is undefined for a bundle without one", () => {
    expect(projectDirNamedBy("console.log(1)")).toBeUndefined();
  });
});
