import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Message } from "esbuild";
import { sha256Hex } from "../codec/sha256.js";
import { BuildCache, buildCacheDir, cacheKey, stampOf, unchanged, type Stamp } from "./build-cache.js";
import { ENVIRONMENT_HEADER } from "../codec/environment-header.js";
import { projectDirStatement } from "./project-dir.js";

/** A program packaged for workers: one ESM file and its content address. */
export interface Bundle {
  code: Uint8Array;
  /** sha256 hex of the code: the bundle's name in the code cache. */
  hash: string;
  /** sha256 of the nearest package-lock.json, recorded with the run so environment drift can be seen. */
  lockfileHash: string | null;
  /**
   * Packages that cannot be bundled (native modules), left as imports: workers install the project's
   * lockfile once per environment to provide them. Undefined when the bundle needs none.
   */
  environment?: { hash: string; content: Uint8Array; packages: string[]; projectDir: string };
  /** Taken from the build cache: the files it was built from are as they were. */
  fromCache?: true;
}

/** What the build cache keeps of a bundle besides its code: what it was built from, what it left as imports. */
interface CachedBuild {
  stamps: Stamp[];
  packages: string[];
}

/** A package's name from a bare import ("@scope/pkg/sub" → "@scope/pkg"). */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** Whether a package ships compiled code (a node-gyp build or prebuilt binaries): esbuild cannot bundle it. */
function isNative(packageDir: string): boolean {
  if (["binding.gyp", "prebuilds", join("build", "Release")].some((f) => existsSync(join(packageDir, f)))) return true;
  try {
    return (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { gypfile?: boolean }).gypfile === true;
  } catch {
    return false;
  }
}

/** The directory of an installed package, found from the importing file. */
function packageDirOf(name: string, importer: string): string | undefined {
  for (let d = dirname(importer); ; d = dirname(d)) {
    const candidate = join(d, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(d) === d) return undefined;
  }
}

/** The project's package.json and lockfile, for workers to install the same packages. */
function environmentOf(entry: string, packages: string[]): NonNullable<Bundle["environment"]> {
  for (let d = dirname(entry); ; d = dirname(d)) {
    const lock = join(d, "package-lock.json");
    if (existsSync(lock) && existsSync(join(d, "package.json"))) {
      const content = new TextEncoder().encode(
        JSON.stringify({ packageJson: readFileSync(join(d, "package.json"), "utf8"), lockfile: readFileSync(lock, "utf8") }),
      );
      return { hash: sha256Hex(content), content, packages, projectDir: d };
    }
    if (dirname(d) === d) {
      throw new BundleError(
        `${packages.join(", ")} cannot be bundled (native code) and no package-lock.json was found above ${entry}; ` +
          "workers install those packages from the project's lockfile: run npm install to create one",
      );
    }
  }
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
    if (existsSync(lock)) return sha256Hex(readFileSync(lock));
    if (dirname(d) === d) return null;
  }
}

/**
 * What a bundle was built from: its input files, the directories that hold them (a file added there may
 * change what an import resolves to), and the bundler itself (a new Pando builds anew).
 */
function buildStamps(inputs: readonly string[]): Stamp[] {
  const files = inputs.map((i) => resolve(process.cwd(), i));
  const paths = new Set([...files, ...files.map((f) => dirname(f)), fileURLToPath(import.meta.url)]);
  return [...paths].flatMap((p) => stampOf(p) ?? []);
}

/**
 * Bundles an entry module and everything it imports into one ESM file with esbuild, or takes that file
 * from the build cache (build-cache.ts) when the files it was built from are unchanged. Packages with native
 * code, and those named in `dependencies`, stay imports that workers install (see Bundle.environment). Pando
 * itself stays external, so the bundle registers its works with the SDK of the process that imports it; CommonJS
 * dependencies get a `require` through createRequire. Sources are mapped inline, so remote stack traces
 * point at the user's files (by their absolute path on the machine that bundled them). The bundle names the
 * project directory it was built from (projectDir()).
 */
export async function bundleEntry(
  entryPath: string,
  options: { dependencies?: readonly string[]; cache?: BuildCache<CachedBuild> } = {},
): Promise<Bundle> {
  const entry = resolve(entryPath);
  if (!existsSync(entry)) throw new BundleError(`the entry file ${entryPath} does not exist`);
  const cache = options.cache ?? new BuildCache<CachedBuild>(buildCacheDir(), "bundles");
  const key = cacheKey(["bundle", entry, process.cwd(), options.dependencies ?? [], projectDirStatement(entry)]);
  const cached = cache.get(key);
  if (cached && unchanged(cached.meta.stamps)) {
    const { packages } = cached.meta;
    const environment = packages.length > 0 ? environmentOf(entry, packages) : undefined;
    return { code: cached.content, hash: cached.meta.hash, lockfileHash: lockfileHashFrom(dirname(entry)), environment, fromCache: true };
  }
  // Loaded only to build: a run whose bundle is in the cache never starts esbuild.
  const { build } = await import("esbuild");
  const natives = new Set<string>();
  let result;
  try {
    result = await build({
      metafile: true,
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      sourcemap: "inline",
      // The map's sources are relative to the working directory; rooted there, a stack trace through the
      // bundle names the user's own files wherever the bundle is imported from (a pilot's cache directory).
      absWorkingDir: process.cwd(),
      sourceRoot: `${pathToFileURL(process.cwd()).href}/`,
      external: ["pando", "pando/*"],
      logLevel: "silent",
      plugins: [
        {
          name: "pando-native-packages",
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (args) => {
              if (args.path.startsWith("node:") || args.kind === "entry-point") return undefined;
              const name = packageName(args.path);
              const dir = packageDirOf(name, args.importer);
              const asked = options.dependencies?.includes(name) ?? false;
              if (!dir || !(asked || isNative(dir))) return undefined;
              natives.add(name);
              return { path: args.path, external: true };
            });
          },
        },
      ],
      banner: {
        js:
          "import { createRequire as __pandoCreateRequire } from 'node:module'; const require = __pandoCreateRequire(import.meta.url); " +
          projectDirStatement(entry),
      },
    });
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    const detail = errors?.length ? errors.map(describe).join("\n  ") : String(err);
    throw new BundleError(`bundling ${entryPath} failed:\n  ${detail}`);
  }
  const file = result.outputFiles[0];
  if (!file) throw new BundleError(`bundling ${entryPath} produced no output`);
  const environment = natives.size > 0 ? environmentOf(entry, [...natives].sort()) : undefined;
  const code = environment
    ? Buffer.concat([Buffer.from(`${ENVIRONMENT_HEADER}${environment.hash} ${environment.packages.join(" ")}\n`), file.contents])
    : file.contents;
  cache.put(key, code, { stamps: buildStamps(Object.keys(result.metafile.inputs)), packages: environment?.packages ?? [] });
  return {
    code,
    hash: sha256Hex(code),
    lockfileHash: lockfileHashFrom(dirname(entry)),
    environment,
  };
}
