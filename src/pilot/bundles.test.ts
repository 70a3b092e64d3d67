import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../codec/sha256.js";
import { removeTree } from "../bundle/project-unpack.js";
import { writeTar } from "../bundle/tar.js";
import { Bundles } from "./bundles.js";
import { sweepCache } from "./cache-sweep.js";

const log = pino({ level: "silent" });
const code = new TextEncoder().encode("export const answer = 42;\n");
const archive = gzipSync(writeTar([{ path: "data.txt", executable: false, content: Buffer.from("42") }]));
const job = { bundleHash: sha256Hex(code), projectHash: sha256Hex(archive) };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeTree));

function bundles(): { bundles: Bundles; fetched: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "pando-bundles-"));
  dirs.push(dir);
  const fetched: string[] = [];
  const fetch = async (hash: string) => (fetched.push(hash), hash === job.bundleHash ? code : archive);
  return { bundles: new Bundles(dir, fetch, log), fetched };
}

describe("Bundles, keeping the cache", () => {
  it("keeps what its jobs used lately or its executors run, and forgets the rest, placing it again when needed", async () => {
    const { bundles: b, fetched } = bundles();
    await b.place(job);
    const used = Date.now();
    const entries = [b.fileOf(job.bundleHash), b.projectDirOf(job.projectHash)];

    // Used since then, or run by a live executor: kept, and still placed.
    expect([...b.retain(used - 1000, { bundles: new Set(), projects: new Set() })].sort()).toEqual([...entries].sort());
    expect([...b.retain(used + 1000, { bundles: new Set([job.bundleHash]), projects: new Set([job.projectHash]) })].sort()).toEqual([...entries].sort());
    expect(b.has(job)).toBe(true);

    // Neither: forgotten, so that once the sweep removed it a job fetches it again.
    expect(b.retain(Date.now() + 1000, { bundles: new Set(), projects: new Set() }).size).toBe(0);
    expect(b.has(job)).toBe(false);
    const { removed } = sweepCache(b.cacheDir, { keepMs: 0, now: Date.now() + 1000, keep: new Set() });
    expect(removed.sort()).toEqual([...entries].sort());
    expect(fetched).toHaveLength(2);
    await b.place(job);
    expect(fetched).toHaveLength(4);
    for (const path of entries) expect(existsSync(path)).toBe(true);
  });
});
