// The project directory: the nearest directory above a program's entry file that holds a package.json (iDDS's
// source_dir). Jobs and drivers run from a bundle in a cache, where their own module's location says
// nothing about the project: the bundle carries the directory it was built from.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Where a bundle's first lines leave the project directory it was built from, for every copy of the SDK. */
export const PROJECT_DIR_KEY = "pando.projectDir";

/** The nearest directory from `start` upwards with a package.json, or `start` itself if there is none. */
function projectDirFrom(start: string): string {
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
 * The project directory of the running program, as an absolute path on the host that built it: where
 * `pando run` (or the program that submitted the work) found its entry file's package.json. Jobs and
 * drivers get it from their bundle, so it names the project's files wherever the pilots share its file
 * system (command works get it as $PANDO_PROJECT_DIR). Outside a bundle: the project of the main script,
 * or of the working directory when the main script is a tool's (a test runner in node_modules).
 */
export function projectDir(): string {
  const fromBundle = (globalThis as Record<symbol, unknown>)[Symbol.for(PROJECT_DIR_KEY)];
  if (typeof fromBundle === "string") return fromBundle;
  const main = process.argv[1];
  if (main && !resolve(main).split(/[\\/]/).includes("node_modules")) return projectDirOf(main);
  return projectDirFrom(process.cwd());
}
