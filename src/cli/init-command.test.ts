import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PANDO_ROOT } from "../bundle/cache.js";
import { initProject } from "./init-command.js";
import { installedFrom, relocate } from "./pando-spec.js";

const TEMPLATE = join(PANDO_ROOT, "templates", "project");
const OWN = JSON.parse(readFileSync(join(PANDO_ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "pando-init-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

/** A project that installed Pando from a tarball beside it, as npm lays it out: the Pando in its node_modules. */
function installedLayout(): { project: string; pandoRoot: string } {
  const project = join(tmp, "study");
  const pandoRoot = join(project, "node_modules", "pando");
  writeFileSync(join(tmp, "pando-0.1.0.tgz"), "");
  mkdirSync(pandoRoot, { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module", dependencies: { pando: "file:../pando-0.1.0.tgz" } }));
  cpSync(join(PANDO_ROOT, "package.json"), join(pandoRoot, "package.json"));
  cpSync(TEMPLATE, join(pandoRoot, "templates", "project"), { recursive: true });
  return { project, pandoRoot };
}

describe("pando init", () => {
  it("scaffolds an ES module project: package.json, tsconfig, a work and workflow, a program that submits it, queues, .gitignore", () => {
    writeFileSync(join(tmp, "pando-0.1.0.tgz"), "");
    const r = initProject("new-study", { pando: "./pando-0.1.0.tgz" }, tmp);
    const dir = join(tmp, "new-study");
    expect(r.dir).toBe(dir);
    expect(r.skipped).toEqual([]);
    expect([...r.created].sort()).toEqual([".gitignore", "package.json", "queues.json", "src/pi.ts", "src/submit.ts", "tsconfig.json"]);
    for (const file of ["src/pi.ts", "src/submit.ts", "queues.json", "tsconfig.json"]) {
      expect(readFileSync(join(dir, file), "utf8")).toBe(readFileSync(join(TEMPLATE, file), "utf8"));
    }
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toMatch(/^\.pando\/$/m);
    const manifest = readJson(join(dir, "package.json"));
    expect(manifest).toMatchObject({
      name: "new-study",
      private: true,
      type: "module",
      dependencies: { pando: "file:../pando-0.1.0.tgz" },
      devDependencies: { typescript: OWN.devDependencies.typescript, tsx: OWN.devDependencies.tsx, "@types/node": OWN.devDependencies["@types/node"] },
      allowScripts: { pando: true, "better-sqlite3": true, esbuild: true },
    });
    expect(manifest.scripts.pi).toBe("pando run src/pi.ts#estimatePi");
  });

  it("never overwrites a file, and says what an existing package.json and .gitignore lack", () => {
    const dir = join(tmp, "existing");
    mkdirSync(join(dir, "src"), { recursive: true });
    const manifest = JSON.stringify({ name: "mine", type: "module", dependencies: { lodash: "4" } });
    writeFileSync(join(dir, "package.json"), manifest);
    writeFileSync(join(dir, "src", "pi.ts"), "// mine\n");
    writeFileSync(join(dir, ".gitignore"), "node_modules/\n");
    const r = initProject(dir, { pando: "git+https://example.org/pando.git#v0.1.0" }, tmp);
    expect(readFileSync(join(dir, "package.json"), "utf8")).toBe(manifest);
    expect(readFileSync(join(dir, "src", "pi.ts"), "utf8")).toBe("// mine\n");
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("node_modules/\n");
    expect(r.skipped).toEqual([
      {
        file: "package.json",
        note: "add what the project needs: npm install git+https://example.org/pando.git#v0.1.0 && npm install --save-dev @types/node tsx typescript",
      },
      { file: ".gitignore", note: "add .pando/ to it: the local server's state lives there" },
      { file: "src/pi.ts", note: undefined },
    ]);
    expect([...r.created].sort()).toEqual(["queues.json", "src/submit.ts", "tsconfig.json"]);
  });

  it.each([
    [{ name: "old" }, 'its "type" is not set'],
    [{ name: "old", type: "commonjs" }, 'its "type" is "commonjs"'],
  ])("refuses a CommonJS package.json (%j) and writes nothing", (manifest, says) => {
    const dir = join(tmp, "cjs");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify(manifest));
    expect(() => initProject(dir, { pando: "git+https://example.org/pando.git" }, tmp)).toThrow(
      new RegExp(`CommonJS package \\(${says.replace(/[()"]/g, "\\$&")}\\).*add "type": "module"`),
    );
    expect(readdirSync(dir)).toEqual(["package.json"]);
  });

  it("refuses a package.json that is not JSON", () => {
    const dir = join(tmp, "broken");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), "{ nope");
    expect(() => initProject(dir, { pando: "git+https://example.org/pando.git" }, tmp)).toThrow(/package\.json is not valid JSON/);
  });

  it("asks for --pando when this Pando was not installed by a project (a checkout), and writes nothing", () => {
    expect(() => initProject("study", {}, tmp)).toThrow(/pass --pando with one/);
    expect(existsSync(join(tmp, "study"))).toBe(false);
  });

  it("refuses a local spec that does not exist", () => {
    expect(() => initProject("study", { pando: "../nowhere/pando-0.1.0.tgz" }, tmp)).toThrow(/nowhere\/pando-0\.1\.0\.tgz, which does not exist/);
  });

  it("installs from where this Pando was installed from, as a path from the new project", () => {
    const { project, pandoRoot } = installedLayout();
    expect(installedFrom(pandoRoot)).toEqual({ spec: "file:../pando-0.1.0.tgz", baseDir: project, from: join(project, "package.json") });
    const beside = initProject(join(tmp, "beside"), {}, project, pandoRoot);
    expect(readJson(join(tmp, "beside", "package.json")).dependencies.pando).toBe("file:../pando-0.1.0.tgz");
    expect(beside.specFrom).toBe(join(project, "package.json"));
    initProject("inside", {}, project, pandoRoot);
    expect(readJson(join(project, "inside", "package.json")).dependencies.pando).toBe("file:../../pando-0.1.0.tgz");
  });
});

describe("relocate", () => {
  it.each([
    ["file:../pando-0.1.0.tgz", "/a/b", "/a/c/d", "file:../../pando-0.1.0.tgz"],
    ["./pando-0.1.0.tgz", "/a", "/a/new", "file:../pando-0.1.0.tgz"],
    ["/srv/pando-0.1.0.tgz", "/a", "/a/new", "file:../../srv/pando-0.1.0.tgz"],
    ["pando-0.1.0.tgz", "/a", "/a/new", "file:../pando-0.1.0.tgz"],
    ["file:../pando", "/a/b", "/a/pando/example", "file:.."],
    ["git+https://example.org/pando.git#v0.1", "/a", "/b", "git+https://example.org/pando.git#v0.1"],
    ["https://example.org/pando-0.1.0.tgz", "/a", "/b", "https://example.org/pando-0.1.0.tgz"],
    ["github:owner/pando", "/a", "/b", "github:owner/pando"],
  ])("%s from %s, seen from %s: %s", (spec, from, to, expected) => {
    expect(relocate(spec, from, to)).toBe(expected);
  });
});
