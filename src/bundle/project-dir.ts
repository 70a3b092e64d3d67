// The project directory: the nearest directory above a program's entry file that holds a package.json (iDDS's
// source_dir). A bundle names the one it was built from in its first statement, since its own location (a
// pilot's cache) says nothing about the project; the SDK reads it back (sdk/project-dir.ts).
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Where a bundle's first lines leave the project directory it was built from, for every copy of the SDK. */
export const PROJECT_DIR_KEY = "pando.projectDir";

/**
 * Where an executor leaves the directory its pilot unpacked the workflow's project archive in: it is the
 * project directory there, whatever the bundle names (the host that built it is elsewhere).
 */
export const SHIPPED_PROJECT_DIR_KEY = "pando.shippedProjectDir";

/** The nearest directory from `start` upwards with a package.json, or `start` itself if there is none. */
export function projectDirFrom(start: string): string {
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, "package.json"))) return d;
    if (dirname(d) === d) return start;
  }
}

/** The project directory of a program whose entry file is `file`. */
export function projectDirOf(file: string): string {
  return projectDirFrom(dirname(resolve(file)));
}

/** The statement a bundle starts with to name its project directory. */
export function projectDirStatement(entry: string): string {
  return `globalThis[Symbol.for(${JSON.stringify(PROJECT_DIR_KEY)})] = ${JSON.stringify(projectDirOf(entry))};`;
}

/**
 * The project directory a bundle's first lines name (its projectDirStatement), or undefined if they name
 * none. The bundle is its user's code: what it names is a claim, which a pilot checks before it shows it.
 */
export function projectDirNamedBy(head: string): string | undefined {
  const m = /globalThis\[Symbol\.for\("pando\.projectDir"\)\] = ("(?:[^"\\\n]|\\.)*");/.exec(head);
  if (!m) return undefined;
  try {
    const dir = JSON.parse(m[1]!) as unknown;
    return typeof dir === "string" ? dir : undefined;
  } catch {
    return undefined;
  }
}
