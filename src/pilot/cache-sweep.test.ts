import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, renameSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { removeTree, setDirsWritable } from "../bundle/project-unpack.js";
import { FILE_STORE, refreshEntry, sweepCache } from "./cache-sweep.js";

const HOUR = 60 * 60_000;
const NOW = Date.now();
const hash = (n: number) => n.toString(16).padStart(64, "0");
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeTree));

function aged(path: string, ageMs: number): string {
  const at = new Date(NOW - ageMs);
  utimesSync(path, at, at);
  return path;
}

/** A cache directory as pilots leave it, its entries of the given ages. */
function cacheDir() {
  const dir = mkdtempSync(join(tmpdir(), "pando-sweep-"));
  dirs.push(dir);
  mkdirSync(join(dir, "envs"));
  mkdirSync(join(dir, "projects"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(dir, join(dir, "node_modules", "pando"));
  const bundle = (n: number, ageMs: number) => (writeFileSync(join(dir, `${hash(n)}.mjs`), "export {};\n"), aged(join(dir, `${hash(n)}.mjs`), ageMs));
  const env = (n: number, ageMs: number) => {
    const path = join(dir, "envs", hash(n));
    mkdirSync(join(path, "node_modules", "dep"), { recursive: true });
    writeFileSync(join(path, "node_modules", "dep", "index.js"), "1");
    writeFileSync(join(path, `${hash(100 + n)}.mjs`), "export {};\n");
    return aged(path, ageMs);
  };
  const project = (n: number, ageMs: number) => {
    const path = join(dir, "projects", hash(n));
    mkdirSync(join(path, "data"), { recursive: true });
    writeFileSync(join(path, "data", "points.csv"), "1\n2\n", { mode: 0o444 });
    setDirsWritable(path, false);
    return aged(path, ageMs);
  };
  return { dir, bundle, env, project };
}

describe("sweepCache", () => {
  it("removes bundles, environments and read-only projects nobody refreshed within the keeping time", () => {
    const { dir, bundle, env, project } = cacheDir();
    const oldBundle = bundle(1, 2 * HOUR);
    const newBundle = bundle(2, 10_000);
    const oldEnv = env(3, 2 * HOUR);
    const newEnv = env(4, 10_000);
    const oldProject = project(5, 2 * HOUR);
    const newProject = project(6, 10_000);
    const kept = project(7, 2 * HOUR);

    const result = sweepCache(dir, { keepMs: HOUR, now: NOW, keep: new Set([kept]) });

    expect(result.removed.sort()).toEqual([oldBundle, oldEnv, oldProject].sort());
    expect(result.bytes).toBeGreaterThan(0);
    expect(result.errors).toEqual([]);
    for (const path of [oldBundle, oldEnv, oldProject]) expect(existsSync(path)).toBe(false);
    for (const path of [newBundle, newEnv, newProject, kept]) expect(existsSync(path)).toBe(true);
    expect(existsSync(join(dir, "node_modules", "pando"))).toBe(true);
  });

  it("removes the stored files of unpacked projects that no project links to any more, once old", () => {
    const { dir } = cacheDir();
    const store = join(dir, "projects", FILE_STORE);
    mkdirSync(store);
    const stored = (name: string, ageMs: number) => aged((writeFileSync(join(store, name), name, { mode: 0o444 }), join(store, name)), ageMs);
    const unlinked = stored(hash(1), 2 * HOUR);
    const linked = stored(hash(2), 2 * HOUR);
    linkSync(linked, join(dir, "projects", "a-file-of-a-project"));
    const fresh = stored(hash(3), 10_000);

    const result = sweepCache(dir, { keepMs: HOUR, now: NOW, keep: new Set() });

    expect(result.removed).toEqual([unlinked]);
    for (const path of [linked, fresh]) expect(existsSync(path)).toBe(true);
  });

  it("never touches files being written, unpacks in progress or node_modules, but removes day-old claims", () => {
    const { dir } = cacheDir();
    const tmp = aged((writeFileSync(join(dir, `${hash(1)}.mjs.9.tmp`), "half"), join(dir, `${hash(1)}.mjs.9.tmp`)), 48 * HOUR);
    const envTmp = join(dir, "envs", `${hash(2)}.9.tmp`);
    mkdirSync(envTmp);
    aged(envTmp, 48 * HOUR);
    const claim = join(dir, "projects", `${hash(3)}.claim`);
    mkdirSync(claim);
    aged(claim, 2 * HOUR);
    const deadClaim = join(dir, "projects", `${hash(4)}.claim`);
    mkdirSync(deadClaim);
    aged(deadClaim, 48 * HOUR);
    aged(join(dir, "node_modules"), 48 * HOUR);

    const result = sweepCache(dir, { keepMs: HOUR, now: NOW, keep: new Set() });

    expect(result.removed).toEqual([]);
    for (const path of [tmp, envTmp, claim, join(dir, "node_modules", "pando")]) expect(existsSync(path)).toBe(true);
    expect(existsSync(deadClaim)).toBe(false);
  });

  it("puts back an entry another pilot refreshed after it was found old", () => {
    const { dir, bundle, project } = cacheDir();
    const oldBundle = bundle(1, 2 * HOUR);
    const oldProject = project(2, 2 * HOUR);
    const seenAside: string[] = [];

    const result = sweepCache(dir, {
      keepMs: HOUR,
      now: NOW,
      keep: new Set(),
      // Another pilot of the host refreshes each entry between this sweep's decision and its removal.
      setAside: (aside) => {
        seenAside.push(aside);
        refreshEntry(aside);
      },
    });

    expect(seenAside.sort()).toEqual([`${oldBundle}.sweep-${process.pid}`, `${oldProject}.sweep-${process.pid}`].sort());
    expect(result.removed).toEqual([]);
    expect(existsSync(oldBundle)).toBe(true);
    expect(existsSync(join(oldProject, "data", "points.csv"))).toBe(true);
    expect(readdirSync(join(dir, "projects"))).toEqual([hash(2)]);
  });

  it("removes what a sweep of a pilot that died left aside, and nothing of a live one's", () => {
    const { dir, project } = cacheDir();
    const path = project(1, 2 * HOUR);
    // No process has a pid this high (Linux caps them at 2^22).
    const dead = `${path}.sweep-99999999`;
    renameSync(path, dead);
    const live = join(dir, `${hash(2)}.mjs.sweep-${process.ppid}`);
    writeFileSync(live, "export {};\n");

    sweepCache(dir, { keepMs: HOUR, now: NOW, keep: new Set() });

    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it("says what it could not remove, puts the entry back, and goes on", () => {
    const { dir, bundle } = cacheDir();
    const old = bundle(1, 2 * HOUR);
    const result = sweepCache(dir, {
      keepMs: HOUR,
      now: NOW,
      keep: new Set(),
      setAside: () => {
        throw Object.assign(new Error("permission denied"), { code: "EACCES" });
      },
    });
    expect(result.removed).toEqual([]);
    expect(result.errors).toEqual([`${old}: permission denied`]);
    expect(existsSync(old)).toBe(true);
  });
});
