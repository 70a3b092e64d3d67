import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { packProject, PROJECT_ARCHIVE_DEFAULTS, ProjectArchiveError } from "./project-archive.js";
import { projectSettings } from "./project-config.js";
import { readTar } from "./tar.js";
import { BuildCache } from "./build-cache.js";

let dir: string;
let outside: string;

function put(rel: string, text: string): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pando-archive-"));
  outside = mkdtempSync(join(tmpdir(), "pando-outside-"));
  put("package.json", "{}");
  put("main.ts", "export {};");
  put("data/points.csv", "x\n1\n");
  put("train.py", "print(1)");
  chmodSync(join(dir, "train.py"), 0o755);
  put("node_modules/dep/index.js", "module.exports = 1;");
  put(".git/HEAD", "ref: main");
  put(".pando/credentials.json", "{}");
  put(".gitignore", "secret.txt\n/out/\n");
  put("secret.txt", "key");
  put("out/result.bin", "0");
  put("sub/.gitignore", "*.tmp\n");
  put("sub/a.tmp", "t");
  put("sub/b.txt", "b");
  writeFileSync(join(outside, "passwd"), "root");
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const files = (options = PROJECT_ARCHIVE_DEFAULTS) => packProject(dir, options).files;

describe("packProject", () => {
  it("ships the project's files, leaving out node_modules, .git, .pando and what .gitignore files ignore", () => {
    expect(files()).toEqual([".gitignore", "data/points.csv", "main.ts", "package.json", "sub/.gitignore", "sub/b.txt", "train.py"]);
  });

  it("is deterministic: the same files give the same hash, a changed file another", () => {
    const first = packProject(dir);
    expect(packProject(dir).hash).toBe(first.hash);
    put("data/points.csv", "x\n2\n");
    expect(packProject(dir).hash).not.toBe(first.hash);
  });

  it("holds a gzipped tar of the files, executable bits kept", () => {
    const archive = packProject(dir);
    const { files: entries } = readTar(gunzipSync(archive.content), { maxBytes: 1 << 20, maxEntries: 100 });
    const train = entries.find((e) => e.path === "train.py")!;
    expect(Buffer.from(train.content).toString()).toBe("print(1)");
    expect(train.executable).toBe(true);
    expect(entries.find((e) => e.path === "main.ts")!.executable).toBe(false);
  });

  it("takes the user's patterns: excludes, and includes over .gitignore and the defaults", () => {
    const settings = { ...PROJECT_ARCHIVE_DEFAULTS, exclude: ["data/"], include: ["secret.txt", "node_modules/"] };
    const shipped = files(settings);
    expect(shipped).not.toContain("data/points.csv");
    expect(shipped).toContain("secret.txt");
    expect(shipped).toContain("node_modules/dep/index.js");
  });

  it("follows symbolic links to files inside the project only", () => {
    symlinkSync(join(dir, "data", "points.csv"), join(dir, "points-link.csv"));
    symlinkSync(join(outside, "passwd"), join(dir, "passwd-link"));
    symlinkSync(outside, join(dir, "outside-dir"));
    const archive = packProject(dir);
    expect(archive.files).toContain("points-link.csv");
    expect(archive.files).not.toContain("passwd-link");
    expect(archive.skippedLinks.sort()).toEqual(["outside-dir", "passwd-link"]);
  });

  it("over its size limit: an error naming the biggest files and how to leave them out", () => {
    put("data/big.bin", "z".repeat(5000));
    put("data/medium.bin", "m".repeat(3000));
    let error: unknown;
    try {
      packProject(dir, { ...PROJECT_ARCHIVE_DEFAULTS, maxBytes: 4096 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ProjectArchiveError);
    const message = (error as Error).message;
    expect(message).toContain("over the 4.0 KiB limit");
    expect(message).toMatch(/biggest files: data\/big\.bin \(4\.9 KiB\), data\/medium\.bin \(2\.9 KiB\)/);
    expect(message).toContain('"exclude": ["data/big.bin"]');
    expect(message).toContain("--project-exclude");
  });

  it("over its file count limit: the same kind of error", () => {
    expect(() => packProject(dir, { ...PROJECT_ARCHIVE_DEFAULTS, maxFiles: 3 })).toThrow("over the limit of 3");
  });
});

describe("projectSettings", () => {
  it("reads package.json's pando.project under the run's options", () => {
    put("package.json", JSON.stringify({ pando: { project: { exclude: ["data/"], maxBytes: "2MiB", ship: true } } }));
    expect(projectSettings(dir, { exclude: ["more/"] })).toEqual({
      ship: true,
      exclude: ["data/", "more/"],
      include: [],
      maxBytes: 2 * 1024 * 1024,
      maxFiles: PROJECT_ARCHIVE_DEFAULTS.maxFiles,
    });
    expect(projectSettings(dir, { ship: false, maxBytes: 10 })).toMatchObject({ ship: false, maxBytes: 10 });
  });

  it("refuses a malformed field, saying where and what is expected", () => {
    put("package.json", JSON.stringify({ pando: { project: { exclude: "data/" } } }));
    expect(() => projectSettings(dir)).toThrow('"pando.project" in');
    put("package.json", JSON.stringify({ pando: { project: { maxByte: 1 } } }));
    expect(() => projectSettings(dir)).toThrow("unknown field(s) maxByte");
    put("package.json", JSON.stringify({ pando: { project: { maxBytes: "lots" } } }));
    expect(() => projectSettings(dir)).toThrow("invalid byte size");
  });
});

describe("packProject with a build cache", () => {
  it("packs the same files once, and anew once one of them changed", () => {
    const cache = new BuildCache<object>(outside, "projects");
    const first = packProject(dir, PROJECT_ARCHIVE_DEFAULTS, cache);
    const again = packProject(dir, PROJECT_ARCHIVE_DEFAULTS, cache);
    expect(again.hash).toBe(first.hash);
    expect(Buffer.from(again.content).equals(Buffer.from(first.content))).toBe(true);
    // What the cache holds is what it serves: an entry whose bytes were replaced proves the second pack used it.
    const planted = packProject(outside, PROJECT_ARCHIVE_DEFAULTS);
    const key = readdirSync(join(outside, "projects")).find((f) => f.endsWith(".bin"))!.slice(0, -".bin".length);
    cache.put(key, planted.content, {});
    expect(packProject(dir, PROJECT_ARCHIVE_DEFAULTS, cache).hash).toBe(planted.hash);
    put("main.ts", "export const changed = true;");
    const changed = packProject(dir, PROJECT_ARCHIVE_DEFAULTS, cache);
    expect(changed.hash).not.toBe(first.hash);
    const main = readTar(gunzipSync(changed.content), { maxBytes: 1 << 20, maxEntries: 100 }).files.find((f) => f.path === "main.ts");
    expect(Buffer.from(main!.content).toString()).toBe("export const changed = true;");
  });
});

