// The project directory of the running program (iDDS's source_dir): see bundle/project-dir.ts for how a
// bundle carries the one it was built from.
import { resolve } from "node:path";
import { PROJECT_DIR_KEY, projectDirFrom, projectDirOf, SHIPPED_PROJECT_DIR_KEY } from "../bundle/project-dir.js";

/**
 * The project directory of the running program: where `pando run` (or the program that submitted the work)
 * found its entry file's package.json. On a pilot, jobs and remote drivers of a workflow that shipped its
 * project archive get the directory the pilot unpacked it in (read-only, their working directory); without
 * an archive, the path on the host that built the bundle, which names the project's files only where the
 * pilots share its file system. Command works get it as $PANDO_PROJECT_DIR. Outside a bundle: the project
 * of the main script, or of the working directory when the main script is a tool's (a test runner in node_modules).
 */
export function projectDir(): string {
  const shipped = (globalThis as Record<symbol, unknown>)[Symbol.for(SHIPPED_PROJECT_DIR_KEY)];
  if (typeof shipped === "string") return shipped;
  const fromBundle = (globalThis as Record<symbol, unknown>)[Symbol.for(PROJECT_DIR_KEY)];
  if (typeof fromBundle === "string") return fromBundle;
  const main = process.argv[1];
  if (main && !resolve(main).split(/[\\/]/).includes("node_modules")) return projectDirOf(main);
  return projectDirFrom(process.cwd());
}
