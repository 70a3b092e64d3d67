// The built server loads its largest packages (kysely, zod, fastify) as one bundled file each, from
// dist/vendor, not file by file from node_modules: that was the largest part of an embedded run's start.
// Node's loader hooks record the ES modules the process resolves; CommonJS files are in require's cache.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadedModulesHook } from "../src/loaded-modules.fixture.js";

const ROOT = resolve(import.meta.dirname, "..");
const VENDORED = ["kysely", "zod", "fastify"];

describe("the built server", () => {
  const dir = mkdtempSync(join(tmpdir(), "pando-built-server-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads kysely, zod and fastify as one bundled file each, none from node_modules", () => {
    const register = loadedModulesHook(dir);
    const log = join(dir, "loaded.txt");
    writeFileSync(log, "");
    const server = pathToFileURL(join(ROOT, "dist", "server", "server.js")).href;
    const program = `await import(${JSON.stringify(server)});
const { createRequire } = await import("node:module");
console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(register).href, "--input-type=module", "-e", program], {
      env: { ...process.env, PANDO_LOADED_LOG: log },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const loaded = [...readFileSync(log, "utf8").split("\n"), ...(JSON.parse(r.stdout.trim()) as string[])];
    for (const name of VENDORED) {
      expect(loaded.filter((f) => f.includes(`/node_modules/${name}/`)), `${name}'s own files`).toEqual([]);
      expect(loaded.some((f) => f.endsWith(`/dist/vendor/${name}.js`)), `dist/vendor/${name}.js loaded`).toBe(true);
    }
  });

  it("has each vendored package bundled, importing no package of its own, with the values Pando uses (undici: the pilots' and drivers' HTTP client)", async () => {
    const used = { kysely: "sql", zod: "z", fastify: "default", undici: "Pool" };
    for (const [name, value] of Object.entries(used)) {
      const file = join(ROOT, "dist", "vendor", `${name}.js`);
      const code = readFileSync(file, "utf8");
      expect(code.length, name).toBeGreaterThan(10_000);
      expect(code, name).not.toMatch(new RegExp(`^(import|export)[^\\n]*from\\s*["']${name}["']`, "m"));
      expect(typeof ((await import(pathToFileURL(file).href)) as Record<string, unknown>)[value], `${name}'s ${value}`).toMatch(/^(function|object)$/);
    }
  });
});
