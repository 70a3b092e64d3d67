// The project directory of the running program (iDDS's source_dir): see bundle/project-dir.ts for how a
// bundle carries the one it was built from.
import { resolve } from "node:path";
import { PROJECT_DIR_KEY, projectDirFrom, projectDirOf } from "../bundle/project-dir.js";

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
