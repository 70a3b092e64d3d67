import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sharedFileStoreDir, sweepSharedFileStore } from "./shared-file-store.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "pando-shared-store-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const hashName = (c: string) => c.repeat(64);

describe("the shared file store", () => {
  it("lives in the build cache", () => {
    expect(sharedFileStoreDir({ PANDO_BUILD_CACHE: "/c" })).toBe("/c/files");
    expect(sharedFileStoreDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/pando/files");
  });

  it("is swept of the files no project links to, at most once a day", () => {
    const store = join(root, "files");
    mkdirSync(store);
    mkdirSync(join(root, "project"));
    for (const name of [hashName("a"), hashName("b"), `${hashName("c")}x`, "notes.txt"]) writeFileSync(join(store, name), name);
    linkSync(join(store, hashName("a")), join(root, "project", "a.py"));
    const now = Date.now();
    expect(sweepSharedFileStore(store, now)).toBe(2);
    expect(readdirSync(store).sort()).toEqual([".swept", hashName("a"), "notes.txt"]);
    // Its project removed, a file goes at the next sweep, a day later.
    rmSync(join(root, "project"), { recursive: true });
    expect(sweepSharedFileStore(store, now + 60_000)).toBe(0);
    utimesSync(join(store, ".swept"), new Date(now - 25 * 3600_000), new Date(now - 25 * 3600_000));
    expect(sweepSharedFileStore(store, now)).toBe(1);
    expect(readdirSync(store).sort()).toEqual([".swept", "notes.txt"]);
  });

  it("sweeps nothing where there is no store", () => {
    expect(sweepSharedFileStore(join(root, "none"))).toBe(0);
  });
});
