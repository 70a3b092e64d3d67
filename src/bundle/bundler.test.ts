import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { bundleEntry } from "./bundler.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
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
});
