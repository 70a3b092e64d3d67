import { dirname, join, resolve } from "node:path";
import type { Logger } from "pino";
import { BundleCache } from "../bundle/cache.js";
import { ProjectUnpackError, UNPACK_DEFAULTS, type UnpackLimits } from "../bundle/project-unpack.js";
import type { ErrorInfo } from "../core/errors.js";
import { CacheKeeper } from "./cache-keeper.js";
import { refreshEntry } from "./cache-sweep.js";
import { Environments } from "./environments.js";
import { Projects } from "./projects.js";
import type { PilotSandbox } from "./sandbox-probe.js";

/** What a job needs on the pilot before it runs: its bundle and, if its workflow ships one, its project archive. */
export interface JobCode {
  bundleHash: string;
  projectHash?: string;
}

/** The code some jobs or executors use, by hash. */
export interface CodeInUse {
  bundles: ReadonlySet<string>;
  projects: ReadonlySet<string>;
}

/** Why a job's code could not be placed: a project archive the pilot refuses, or a fetch that failed. */
export function placeFailure(job: JobCode, err: unknown): ErrorInfo {
  if (err instanceof ProjectUnpackError) {
    return { code: "bad_project_archive", message: `the project archive ${job.projectHash} was refused: ${err.message}` };
  }
  return { code: "bundle_unavailable", message: `could not fetch the code of the job (bundle ${job.bundleHash}${job.projectHash ? `, project archive ${job.projectHash}` : ""}): ${String(err)}` };
}

/**
 * The bundles a pilot's executors import: fetched from the server once into the cache directory (shared by
 * the pilots of a host), and placed beside their installed environment when they need one; and the project
 * archives their jobs run in.
 */
export class Bundles {
  private readonly cache: BundleCache;
  private readonly environments: Environments;
  private readonly projects: Projects;
  /** Project archives unpacked, by hash. */
  private readonly projectsPlaced = new Set<string>();
  private readonly placing = new Map<string, Promise<string>>();
  /** Bundles ready to import, by hash. */
  private readonly placed = new Map<string, string>();
  /** When a job or a warm command last needed each bundle and project archive (the cache keeps what is used). */
  private readonly bundlesUsed = new Map<string, number>();
  private readonly projectsUsed = new Map<string, number>();
  private keeper: CacheKeeper | undefined;
  /** The cache directory as an absolute path: executors, whose working directory is their own, import from it. */
  readonly cacheDir: string;

  constructor(
    cacheDir: string,
    /** A bundle's code, or an environment's manifest, from the server. */
    private readonly fetch: (hash: string) => Promise<Uint8Array>,
    private readonly log: Logger,
    /** The pilot's sandbox, where environments are installed (their packages' install scripts are user code). */
    sandbox?: PilotSandbox,
    /** What the pilot accepts of a project archive. */
    projectLimits: UnpackLimits = UNPACK_DEFAULTS,
  ) {
    this.cacheDir = resolve(cacheDir);
    this.cache = new BundleCache(this.cacheDir);
    this.environments = new Environments(join(this.cacheDir, "envs"), fetch, log, sandbox);
    this.projects = new Projects(join(this.cacheDir, "projects"), fetch, projectLimits, log);
  }

  /**
   * Keeps the cache directory from filling the disk: what this pilot used within `keepMs` or its executors
   * (`live`) run is refreshed, and what no pilot of the host used for that long is removed (0: nothing is).
   */
  keepCache(keepMs: number, live: () => CodeInUse): void {
    this.keeper ??= new CacheKeeper(this.cacheDir, (since) => this.retain(since, live()), keepMs, this.log);
    this.keeper.start();
  }

  stopKeepingCache(): void {
    this.keeper?.stop();
  }

  /** The job's bundle (and project archive) are ready now. */
  has(job: JobCode): boolean {
    this.used(job);
    return this.placed.has(job.bundleHash) && (job.projectHash === undefined || this.projectsPlaced.has(job.projectHash));
  }

  /** The directory a project archive is unpacked in. */
  projectDirOf(hash: string): string {
    return this.projects.dirOf(hash);
  }

  /** The file to import a bundle from (where it will be, while it is being placed). */
  fileOf(hash: string): string {
    return this.placed.get(hash) ?? this.cache.pathOf(hash);
  }

  /** The job's bundle and project archive, fetched the first time; resolves to the file to import the bundle from. */
  async place(job: JobCode): Promise<string> {
    this.used(job);
    const { projectHash } = job;
    const [file] = await Promise.all([
      this.placeBundle(job.bundleHash),
      projectHash === undefined ? undefined : this.projects.place(projectHash).then(() => this.projectsPlaced.add(projectHash)),
    ]);
    return file;
  }

  private used(job: JobCode): void {
    const now = Date.now();
    this.bundlesUsed.set(job.bundleHash, now);
    if (job.projectHash !== undefined) this.projectsUsed.set(job.projectHash, now);
  }

  /**
   * The cache entries this pilot still needs: the bundles, environments and project archives its jobs used
   * since `since`, and those its live executors run. Forgets the others, so that a later job places them
   * again (fetching them again if they were removed from the cache meanwhile).
   */
  retain(since: number, live: CodeInUse): Set<string> {
    const kept = new Set<string>();
    for (const [hash, at] of this.bundlesUsed) {
      if (at >= since || live.bundles.has(hash)) {
        kept.add(this.cache.pathOf(hash));
        const file = this.placed.get(hash);
        // A bundle that needs installed packages is imported from a copy inside its environment.
        if (file !== undefined && dirname(file) !== this.cacheDir) kept.add(dirname(file));
      } else {
        this.bundlesUsed.delete(hash);
        this.placed.delete(hash);
        this.placing.delete(hash);
      }
    }
    this.environments.forgetAllBut(kept);
    for (const [hash, at] of this.projectsUsed) {
      if (at >= since || live.projects.has(hash)) {
        kept.add(this.projects.dirOf(hash));
      } else {
        this.projectsUsed.delete(hash);
        this.projectsPlaced.delete(hash);
        this.projects.forget(hash);
      }
    }
    return kept;
  }

  /** The file to import a bundle from, fetched (and its environment installed) the first time. */
  private placeBundle(hash: string): Promise<string> {
    let path = this.placing.get(hash);
    if (!path) {
      // Refreshed as the pilots of the host do the entries they use, so that none of them sweeps it now.
      const cached = refreshEntry(this.cache.pathOf(hash)) ? Promise.resolve(this.cache.pathOf(hash)) : this.fetch(hash).then((code) => this.cache.put(hash, code));
      path = cached.then((file) => this.environments.place(file, hash));
      path.then((file) => this.placed.set(hash, file)).catch(() => this.placing.delete(hash));
      this.placing.set(hash, path);
    }
    return path;
  }
}
