import { mkdtempSync, realpathSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { BuildCache } from "./build-cache.js";
import { bundleEntry } from "./bundler.js";

let dir: string | undefined;
let cacheDir: string | undefined;
afterEach(() => {
  for (const d of [dir, cacheDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe("bundleEntry", () => {
  it("maps the bundle to the user's files by absolute location, whichever directory it is later imported from", async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "pando-bundle-")));
    writeFileSync(join(dir, "helper.mjs"), "export const fail = () => { throw new Error('x'); };\n");
    writeFileSync(join(dir, "entry.mjs"), "import { fail } from './helper.mjs';\nexport const run = fail;\n");
    const { code } = await bundleEntry(join(dir, "entry.mjs"));
    const inline = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(Buffer.from(code).toString("utf8"));
    expect(inline).not.toBeNull();
    const map = JSON.parse(Buffer.from(inline![1]!, "base64").toString("utf8")) as { sourceRoot?: string; sources: string[] };
    // What Node does with a map: each source, after the source root, resolved against the bundle's own URL.
    const elsewhere = "file:///var/lib/pando/worker/pilots/cache/0123abcd.mjs";
    const resolved = map.sources.map((s) => fileURLToPath(new URL(`${map.sourceRoot ?? ""}${s}`, elsewhere)));
    expect(resolved.sort()).toEqual([join(dir, "entry.mjs"), join(dir, "helper.mjs")]);
  });

  describe("with a build cache", () => {
    const setUp = () => {
      dir = realpathSync(mkdtempSync(join(tmpdir(), "pando-bundle-")));
      writeFileSync(join(dir, "helper.js"), "export const answer = 'from js';\n");
      writeFileSync(join(dir, "entry.mjs"), "import { answer } from './helper';\nexport const run = () => answer;\n");
      cacheDir = mkdtempSync(join(tmpdir(), "pando-build-cache-"));
      return { entry: join(dir, "entry.mjs"), cache: new BuildCache<never>(cacheDir, "bundles") };
    };
    const text = (code: Uint8Array) => Buffer.from(code).toString("utf8");

    it("takes the bundle of unchanged files from the cache, the same bytes", async () => {
      const { entry, cache } = setUp();
      const first = await bundleEntry(entry, { cache });
      const second = await bundleEntry(entry, { cache });
      expect(first.fromCache).toBeUndefined();
      expect(second.fromCache).toBe(true);
      expect(second.hash).toBe(first.hash);
      expect(text(second.code)).toBe(text(first.code));
    });

    it("builds anew when a file it was built from changed", async () => {
      const { entry, cache } = setUp();
      await bundleEntry(entry, { cache });
      writeFileSync(join(dir!, "helper.js"), "export const answer = 'changed';\n");
      // The same size and a time of its own: what the cache compares must still tell them apart.
      utimesSync(join(dir!, "helper.js"), new Date(2000, 1, 1), new Date(2000, 1, 1));
      const rebuilt = await bundleEntry(entry, { cache });
      expect(rebuilt.fromCache).toBeUndefined();
      expect(text(rebuilt.code)).toContain("changed");
    });

    it("builds anew when a file added beside an import changes what it resolves to", async () => {
      const { entry, cache } = setUp();
      await bundleEntry(entry, { cache });
      // esbuild resolves './helper' to helper.ts before helper.js.
      writeFileSync(join(dir!, "helper.ts"), "export const answer: string = 'from ts';\n");
      const rebuilt = await bundleEntry(entry, { cache });
      expect(rebuilt.fromCache).toBeUndefined();
      expect(text(rebuilt.code)).toContain("from ts");
    });
  });
});
