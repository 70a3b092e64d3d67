import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { build, type Message } from "esbuild";

/** A program packaged for workers: one ESM file and its content address. */
export interface Bundle {
  code: Uint8Array;
  /** sha256 hex of the code: the bundle's name in the code cache. */
  hash: string;
  /** sha256 of the nearest package-lock.json, recorded with the run so environment drift can be seen. */
  lockfileHash: string | null;
}

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleError";
  }
}

function describe(m: Message): string {
  const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : "";
  return `${where}${m.text}`;
}

function lockfileHashFrom(dir: string): string | null {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const lock = join(d, "package-lock.json");
    if (existsSync(lock)) return createHash("sha256").update(readFileSync(lock)).digest("hex");
    if (dirname(d) === d) return null;
  }
}

/**
 * Bundles an entry module and everything it imports into one ESM file with esbuild. Pando itself stays
 * external, so the bundle registers its works with the SDK of the process that imports it; CommonJS
 * dependencies get a `require` through createRequire. Sources are mapped inline, so remote stack traces
 * point at the user's files.
 */
export async function bundleEntry(entryPath: string): Promise<Bundle> {
  const entry = resolve(entryPath);
  if (!existsSync(entry)) throw new BundleError(`the entry file ${entryPath} does not exist`);
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      sourcemap: "inline",
      external: ["pando", "pando/*"],
      logLevel: "silent",
      banner: {
        js: "import { createRequire as __pandoCreateRequire } from 'node:module'; const require = __pandoCreateRequire(import.meta.url);",
      },
    });
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    const detail = errors?.length ? errors.map(describe).join("\n  ") : String(err);
    throw new BundleError(`bundling ${entryPath} failed:\n  ${detail}`);
  }
  const file = result.outputFiles[0];
  if (!file) throw new BundleError(`bundling ${entryPath} produced no output`);
  return {
    code: file.contents,
    hash: createHash("sha256").update(file.contents).digest("hex"),
    lockfileHash: lockfileHashFrom(dirname(entry)),
  };
}
