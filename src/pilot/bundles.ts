import { join, resolve } from "node:path";
import type { Logger } from "pino";
import { BundleCache } from "../bundle/cache.js";
import { Environments } from "./environments.js";
import type { PilotSandbox } from "./sandbox-probe.js";

/**
 * The bundles a pilot's executors import: fetched from the server once into the cache directory (shared by
 * the pilots of a host), and placed beside their installed environment when they need one.
 */
export class Bundles {
  private readonly cache: BundleCache;
  private readonly environments: Environments;
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
  ) {
    this.cacheDir = resolve(cacheDir);
    this.cache = new BundleCache(this.cacheDir);
    this.environments = new Environments(join(this.cacheDir, "envs"), fetch, log, sandbox);
  }

  /** The bundle is ready to import now. */
  has(hash: string): boolean {
    return this.placed.has(hash);
  }

  /** The file to import a bundle from (where it will be, while it is being placed). */
  fileOf(hash: string): string {
    return this.placed.get(hash) ?? this.cache.pathOf(hash);
  }

  /** The file to import a bundle from, fetched (and its environment installed) the first time. */
  place(hash: string): Promise<string> {
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
