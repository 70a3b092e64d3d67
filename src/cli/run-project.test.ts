import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProjectArchiveError } from "../bundle/project-archive.js";
import { removeTree } from "../bundle/project-unpack.js";
import { packAndPlace } from "./run-project.js";

const dirs: string[] = [];
let savedCache: string | undefined;
let project: string;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

beforeEach(() => {
  savedCache = process.env.PANDO_BUILD_CACHE;
  process.env.PANDO_BUILD_CACHE = tempDir("pando-run-project-build-cache-");
  project = tempDir("pando-run-project-");
  writeFileSync(join(project, "package.json"), "{}");
  writeFileSync(join(project, "main.ts"), "export {};\n");
  mkdirSync(join(project, "data"));
  writeFileSync(join(project, "data", "points.csv"), "1,2\n");
});

afterEach(() => {
  if (savedCache === undefined) delete process.env.PANDO_BUILD_CACHE;
  else process.env.PANDO_BUILD_CACHE = savedCache;
  dirs.splice(0).forEach(removeTree);
});

describe("packAndPlace", () => {
  it("tells the archive once packed, then unpacks it into the local pilots' cache", async () => {
    const cache = tempDir("pando-run-project-cache-");
    const told: string[] = [];
    const placing = packAndPlace({ entry: join(project, "main.ts"), settings: {}, localCacheDir: cache }, (archive) => {
      told.push(`packed ${archive?.files.join(",")}`);
    });
    expect(told).toEqual(["packed data/points.csv,main.ts,package.json"]);
    expect(await placing).toBe(true);
    const [hash] = readdirNames(join(cache, "projects"));
    expect(readFileSync(join(cache, "projects", hash!, "data", "points.csv"), "utf8")).toBe("1,2\n");
  });

  it("places nothing without a local cache, or for a project that ships none", async () => {
    const packed: unknown[] = [];
    expect(await packAndPlace({ entry: join(project, "main.ts"), settings: {}, localCacheDir: undefined }, (a) => packed.push(a?.hash))).toBe(false);
    const cache = tempDir("pando-run-project-cache-");
    expect(await packAndPlace({ entry: join(project, "main.ts"), settings: { ship: false }, localCacheDir: cache }, (a) => packed.push(a))).toBe(false);
    expect(packed).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/), undefined]);
    expect(readdirNames(cache)).toEqual([]);
  });

  it("throws the archive's error, telling no archive, when the project cannot be packed", async () => {
    const packed: unknown[] = [];
    const placing = packAndPlace({ entry: join(project, "main.ts"), settings: { maxBytes: 4 }, localCacheDir: tempDir("pando-run-project-cache-") }, (a) => packed.push(a));
    await expect(placing).rejects.toThrow(ProjectArchiveError);
    await expect(placing).rejects.toThrow(/over the 4 B limit/);
    expect(packed).toEqual([]);
  });

  it("answers false, not a failure, when the archive cannot be placed (the pilots unpack it themselves)", async () => {
    const notADirectory = join(tempDir("pando-run-project-cache-"), "file");
    writeFileSync(notADirectory, "");
    expect(await packAndPlace({ entry: join(project, "main.ts"), settings: {}, localCacheDir: notADirectory }, () => undefined)).toBe(false);
  });
});

function readdirNames(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => !n.startsWith("."));
  } catch {
    return [];
  }
}
