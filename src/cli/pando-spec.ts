// Which npm spec a new project should install Pando from. "pando" alone would not do: the public npm registry
// has an unrelated package of that name, so the spec is a tarball, a git URL or whatever the user gives.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";

/** A spec as it was written, the directory its local paths are relative to, and where it was found (for the user). */
export interface PandoSpec {
  spec: string;
  baseDir: string;
  from: string;
}

type Manifest = { dependencies?: Record<string, string>; devDependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };

/**
 * The spec that the project holding this Pando in its node_modules (an npm project, or npx's own) installed
 * it from, as its package.json says; undefined when Pando runs from a checkout or a global install, which
 * record none.
 */
export function installedFrom(pandoRoot: string): PandoSpec | undefined {
  const modules = dirname(resolve(pandoRoot));
  if (basename(modules) !== "node_modules") return undefined;
  const project = dirname(modules);
  const manifestPath = resolve(project, "package.json");
  if (!existsSync(manifestPath)) return undefined;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
  const spec = manifest.dependencies?.pando ?? manifest.devDependencies?.pando ?? manifest.optionalDependencies?.pando;
  return spec === undefined ? undefined : { spec, baseDir: project, from: manifestPath };
}

/** Whether a spec names a file or directory on this machine (npm's `file:` specs and plain paths). */
function localPath(spec: string): string | undefined {
  if (spec.startsWith("file:")) return spec.slice("file:".length);
  if (/^(\.{1,2}([/\\]|$)|[/\\])/.test(spec)) return spec;
  // npm reads a bare name ending in .tgz / .tar.gz / .tar as a tarball file too.
  if (!/^[a-z][a-z0-9+.-]*:/i.test(spec) && /\.(tgz|tar\.gz|tar)$/i.test(spec)) return spec;
  return undefined;
}

/**
 * The spec as a project in `toDir` must write it: a local path, given relative to `fromDir`, becomes a
 * `file:` path relative to `toDir` (npm resolves those from the project); any other spec is kept as it is.
 */
export function relocate(spec: string, fromDir: string, toDir: string): string {
  const path = localPath(spec);
  if (path === undefined) return spec;
  const rel = relative(toDir, resolve(fromDir, path)) || ".";
  return `file:${isAbsolute(rel) || rel.startsWith(".") ? rel : `./${rel}`}`;
}

/** Whether a local spec points at something that exists (other specs are npm's to check). */
export function missingLocalTarget(spec: string, projectDir: string): string | undefined {
  const path = localPath(spec);
  if (path === undefined) return undefined;
  const absolute = resolve(projectDir, path);
  return existsSync(absolute) ? undefined : absolute;
}
