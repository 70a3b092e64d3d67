// The project directory of a `pando run`, packed once as the run starts. For the embedded server, it is also
// unpacked into the local pilots' code cache while the server starts: creating its files is the longest step
// of a cold start (hundreds of milliseconds for a project of several hundred files), and the pilots' executors
// could not start before it was done, after the project was shipped. Its files are linked from the user's
// store shared by the runs of every data directory (bundle/shared-file-store.ts) when they are there.
import { join } from "node:path";
import { pino } from "pino";
import type { ProjectArchive } from "../bundle/project-archive.js";
import { packProjectOf } from "../bundle/project-ship.js";
import { sharedFileStoreDir, sweepSharedFileStore } from "../bundle/shared-file-store.js";
import type { RunFlags } from "./run-session.js";

export interface RunProject {
  /** The archive; undefined when the project ships none (--no-project). Rejects when it cannot be packed. */
  readonly archive: Promise<ProjectArchive | undefined>;
  /** Settles when the early unpacking for the local pilots has ended: true if the project is in their cache. */
  readonly placed: Promise<boolean>;
  /**
   * Once the run is over (off its start): when the project was unpacked for the local pilots, sweeps the
   * user's shared file store of what no project links to any more (at most once a day).
   */
  settle(): Promise<void>;
}

/**
 * Packs the project of the program at `entry`; with `localCacheDir` (the embedded server's pilots' code cache),
 * unpacks it there as its pilots would, under the same claim, so that a pilot asking for it meanwhile waits.
 */
export function packRunProject(entry: string, flags: RunFlags, localCacheDir: string | undefined): RunProject {
  // After the caller's synchronous start: the bundler and the server's start are under way first.
  const archive = Promise.resolve().then(() =>
    packProjectOf(entry, { ship: flags.project, exclude: flags.projectExclude, include: flags.projectInclude, maxBytes: flags.projectMaxSize }),
  );
  const placed = archive.then(async (packed) => {
    if (!packed || localCacheDir === undefined) return false;
    const [{ Projects }, { UNPACK_DEFAULTS }] = await Promise.all([import("../pilot/projects.js"), import("../bundle/project-unpack.js")]);
    const projects = new Projects(join(localCacheDir, "projects"), async () => packed.content, UNPACK_DEFAULTS, pino({ level: "silent" }), sharedFileStoreDir());
    await projects.place(packed.hash);
    return true;
  });
  // A failure here is not the run's: packing fails again where the project is shipped, with its message, and a
  // pilot that finds no unpacked copy unpacks the archive itself, saying why if it cannot.
  const settledPlace = placed.catch(() => false);
  return {
    archive,
    placed: settledPlace,
    settle: async () => {
      if (await settledPlace) sweepSharedFileStore(sharedFileStoreDir());
    },
  };
}
