import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../codec/sha256.js";
import { rawTarEntry, rawTarGz } from "../bundle/hostile-tar.fixture.js";
import { removeTree, UNPACK_DEFAULTS } from "../bundle/project-unpack.js";
import { writeTar } from "../bundle/tar.js";
import { Projects } from "./projects.js";

const log = pino({ level: "silent" });
const archive = gzipSync(writeTar([{ path: "data.txt", executable: false, content: Buffer.from("42") }]));
const hash = sha256Hex(archive);
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeTree));

function projects(fetch: (hash: string) => Promise<Uint8Array>): Projects {
  const dir = mkdtempSync(join(tmpdir(), "pando-projects-"));
  dirs.push(dir);
  return new Projects(dir, fetch, UNPACK_DEFAULTS, log);
}

describe("Projects", () => {
  it("fetches and unpacks an archive once for the pilots sharing a cache directory, the others waiting for it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pando-projects-"));
    dirs.push(dir);
    let fetches = 0;
    const fetch = async () => {
      fetches++;
      await new Promise((r) => setTimeout(r, 50));
      return archive;
    };
    // The cache's directory does not exist yet: the first pilot to claim the archive makes it.
    const pilots = [1, 2, 3].map(() => new Projects(join(dir, "projects"), fetch, UNPACK_DEFAULTS, log));
    const placed = await Promise.all(pilots.map((p) => p.place(hash)));
    expect(new Set(placed)).toEqual(new Set([join(dir, "projects", hash)]));
    expect(readFileSync(join(placed[0]!, "data.txt"), "utf8")).toBe("42");
    expect(fetches).toBe(1);
  });

  it("unpacks an archive whose claim was left by a pilot that died long ago", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pando-projects-"));
    dirs.push(dir);
    const claimPath = join(dir, `${hash}.claim`);
    mkdirSync(claimPath);
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(claimPath, old, old);
    const placed = await new Projects(dir, async () => archive, UNPACK_DEFAULTS, log).place(hash);
    expect(readFileSync(join(placed, "data.txt"), "utf8")).toBe("42");
    expect(existsSync(claimPath)).toBe(false);
  });

  it("fetches an archive once per hash, however many jobs ask at once", async () => {
    let fetches = 0;
    const p = projects(async () => {
      fetches++;
      return archive;
    });
    const placed = await Promise.all([p.place(hash), p.place(hash), p.place(hash)]);
    expect(new Set(placed)).toEqual(new Set([p.dirOf(hash)]));
    expect(readFileSync(join(placed[0]!, "data.txt"), "utf8")).toBe("42");
    await p.place(hash);
    expect(fetches).toBe(1);
  });

  it("tries a failed fetch again for the next job", async () => {
    let fetches = 0;
    const p = projects(async () => {
      if (++fetches === 1) throw new Error("server unreachable");
      return archive;
    });
    await expect(p.place(hash)).rejects.toThrow("server unreachable");
    await expect(p.place(hash)).resolves.toBe(p.dirOf(hash));
    expect(fetches).toBe(2);
  });

  it("fetches a refused archive once: its later jobs are refused without fetching it again", async () => {
    const hostile = rawTarGz([rawTarEntry("../escape", "0", "x")]);
    let fetches = 0;
    const p = projects(async () => {
      fetches++;
      return hostile;
    });
    await expect(p.place(sha256Hex(hostile))).rejects.toThrow("'..' component");
    await expect(p.place(sha256Hex(hostile))).rejects.toThrow("'..' component");
    expect(fetches).toBe(1);
  });
});
