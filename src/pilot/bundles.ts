import { join, resolve } from "node:path";
import type { Logger } from "pino";
import { BundleCache } from "../bundle/cache.js";
import { ProjectUnpackError, UNPACK_DEFAULTS, type UnpackLimits } from "../bundle/project-unpack.js";
import type { ErrorInfo } from "../core/errors.js";
import { Environments } from "./environments.js";
import { Projects } from "./projects.js";
import type { PilotSandbox } from "./sandbox-probe.js";

/** What a job needs on the pilot before it runs: its bundle and, if its workflow ships one, its project archive. */
export interface JobCode {
  bundleHash: string;
  projectHash?: string;
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
  /** The cache directory as an absolute path: executors, whose working directory is their own, import from it. */
  readonly cacheDir: string;

  constructor(
    cacheDir: string,
    /** A bundle's code, or an environment's manifest, from the server. */
    private readonly fetch: (hash: string) => Promise<Uint8Array>,
    log: Logger,
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

  /** The job's bundle (and project archive) are ready now. */
  has(job: JobCode): boolean {
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
    const { projectHash } = job;
    const [file] = await Promise.all([
      this.placeBundle(job.bundleHash),
      projectHash === undefined ? undefined : this.projects.place(projectHash).then(() => this.projectsPlaced.add(projectHash)),
    ]);
    return file;
  }

  /** The file to import a bundle from, fetched (and its environment installed) the first time. */
  private placeBundle(hash: string): Promise<string> {
    let path = this.placing.get(hash);
    if (!path) {
      const cached = this.cache.has(hash) ? Promise.resolve(this.cache.pathOf(hash)) : this.fetch(hash).then((code) => this.cache.put(hash, code));
      path = cached.then((file) => this.environments.place(file, hash));
      path.then((file) => this.placed.set(hash, file)).catch(() => this.placing.delete(hash));
      this.placing.set(hash, path);
    }
    return path;
  }
}
