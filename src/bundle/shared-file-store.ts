// The user's store of project files that `pando run` shares across its data directories, in the build cache:
// files named by their content's hash, which the unpacked project archives of the runs' local pilots link to
// (project-unpack.ts). A run in a fresh data directory then links its project's files instead of creating
// them: creating a file costs the kernel tens of times what linking one does (0.3-0.7 ms a file on the
// virtual machine's ext4 of BENCHMARKS.md, "Cold start"), and a project has hundreds. Where the data directory
// is on another filesystem, linking fails and the files are written as before.
import { lstatSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildCacheDir } from "./build-cache.js";

/** How often at most the store is swept of the files no unpacked archive links to any more. */
const SWEEP_INTERVAL_MS = 24 * 60 * 60_000;
/** The store's files: a sha256, and `x` for an executable one. */
const STORED = /^[0-9a-f]{64}x?$/;
/** Its mtime is when the store was last swept. */
const SWEPT_STAMP = ".swept";

/** The store's directory: `files` in the build cache (PANDO_BUILD_CACHE, else ~/.cache/pando). */
export function sharedFileStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(buildCacheDir(env), "files");
}

/**
 * Removes the store's files that only the store still links to (their archives' directories were removed
 * with their data directory or swept by its pilots), unless it was swept less than a day ago. A run that
 * links one of them meanwhile finds it gone and writes the file anew. Answers how many were removed.
 */
export function sweepSharedFileStore(dir: string, now = Date.now()): number {
  const stamp = join(dir, SWEPT_STAMP);
  try {
    if (now - statSync(stamp).mtimeMs < SWEEP_INTERVAL_MS) return 0;
  } catch {
    // Never swept, or no store yet: looked at below.
  }
  let names: string[];
  try {
    names = readdirSync(dir);
    writeFileSync(stamp, "");
  } catch {
    // No store, or one this user cannot write: nothing to sweep.
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!STORED.test(name)) continue;
    const path = join(dir, name);
    try {
      if (lstatSync(path).nlink > 1) continue;
      rmSync(path, { force: true });
      removed++;
    } catch {
      // Removed by another run's sweep.
    }
  }
  return removed;
}
