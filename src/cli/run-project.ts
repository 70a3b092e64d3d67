// The project directory of a `pando run`, packed once as the run starts. For the embedded server, it is also
// unpacked into the local pilots' code cache while the server starts: creating its files is the longest step
// of a cold start (hundreds of milliseconds for a project of several hundred files), and the pilots' executors
// could not start before it was done, after the project was shipped. Its files are linked from the user's
// store shared by the runs of every data directory (bundle/shared-file-store.ts) when they are there.
// Both happen in a thread of their own (run-project-worker.ts): packing reads and compresses every file of the
// project, tens of milliseconds this process's thread needs for loading and starting the server.
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { pino } from "pino";
import { ProjectArchiveError, type ProjectArchive } from "../bundle/project-archive.js";
import type { ProjectSettings } from "../bundle/project-config.js";
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

/** What the project's thread is asked: the program's entry, the run's project settings, the local pilots' cache. */
export interface ProjectRequest {
  entry: string;
  settings: Partial<ProjectSettings>;
  localCacheDir: string | undefined;
}

/** What the project's thread tells: the archive once packed (or why not), then whether it was placed. */
export type ProjectMessage =
  | { kind: "packed"; archive: ProjectArchive | undefined }
  | { kind: "pack-failed"; message: string; archiveError: boolean }
  | { kind: "placed"; placed: boolean };

/**
 * Packs the project of the request's program, tells `packed` the archive, then, with a local cache directory,
 * unpacks it there as its pilots would, under the same claim, so that a pilot asking for it meanwhile waits.
 * True once it is placed there; throws when the project cannot be packed.
 */
export async function packAndPlace(request: ProjectRequest, packed: (archive: ProjectArchive | undefined) => void): Promise<boolean> {
  const archive = packProjectOf(request.entry, request.settings);
  packed(archive);
  if (!archive || request.localCacheDir === undefined) return false;
  try {
    const [{ Projects }, { UNPACK_DEFAULTS }] = await Promise.all([import("../pilot/projects.js"), import("../bundle/project-unpack.js")]);
    const projects = new Projects(join(request.localCacheDir, "projects"), async () => archive.content, UNPACK_DEFAULTS, pino({ level: "silent" }), sharedFileStoreDir());
    await projects.place(archive.hash);
    return true;
  } catch {
    // Not the run's failure: a pilot that finds no unpacked copy unpacks the archive itself, saying why if it cannot.
    return false;
  }
}

const PROJECT_WORKER = new URL("./run-project-worker.js", import.meta.url);

/** packAndPlace in the project's thread, its answers as the two promises. */
function inThread(request: ProjectRequest): Pick<RunProject, "archive" | "placed"> {
  let packed!: (archive: ProjectArchive | undefined) => void;
  let failed!: (err: Error) => void;
  const archive = new Promise<ProjectArchive | undefined>((resolve, reject) => ((packed = resolve), (failed = reject)));
  const placed = new Promise<boolean>((resolve) => {
    const worker = new Worker(PROJECT_WORKER, { workerData: request });
    worker.on("message", (m: ProjectMessage) => {
      if (m.kind === "packed") packed(m.archive);
      else if (m.kind === "placed") resolve(m.placed);
      else {
        failed(m.archiveError ? new ProjectArchiveError(m.message) : new Error(m.message));
        resolve(false);
      }
    });
    // Settles what is still pending (a settled promise ignores the rest).
    const stopped = (why: string) => {
      failed(new Error(`the thread packing the project stopped before it had packed it (${why})`));
      resolve(false);
    };
    worker.once("error", (err) => stopped(err.message));
    worker.once("exit", (code) => stopped(`exit code ${code}`));
  });
  return { archive, placed };
}

/**
 * Packs the project of the program at `entry`; with `localCacheDir` (the embedded server's pilots' code cache),
 * unpacks it there as its pilots would (packAndPlace), in a thread of its own.
 */
export function packRunProject(entry: string, flags: RunFlags, localCacheDir: string | undefined): RunProject {
  const settings = { ship: flags.project, exclude: flags.projectExclude, include: flags.projectInclude, maxBytes: flags.projectMaxSize };
  const request: ProjectRequest = { entry, settings, localCacheDir };
  const { archive, placed } = inThread(request);
  // Its failure is the run's where the project is shipped, which may come after it: not an unhandled rejection.
  archive.catch(() => undefined);
  return {
    archive,
    placed,
    settle: async () => {
      if (await placed) sweepSharedFileStore(sharedFileStoreDir());
    },
  };
}
