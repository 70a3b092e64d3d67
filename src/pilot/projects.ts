// The project archives a pilot's jobs run in: fetched from the server once per hash into the cache
// directory (shared by the pilots of a host), unpacked there read-only (bundle/project-unpack.ts), their
// files hard links into a store of files by content that the archives share.
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { ProjectUnpackError, unpackOffThread, type UnpackLimits } from "../bundle/project-unpack.js";
import { sleep } from "../core/sleep.js";
import { FILE_STORE, refreshEntry } from "./cache-sweep.js";

/**
 * A claim on unpacking an archive older than this is taken for the claim of a pilot that died: the archive is
 * unpacked again rather than waited for (a slower unpack only costs the work twice).
 */
const CLAIM_STALE_MS = 60_000;
const CLAIM_POLL_MS = 20;

/** Claims the unpacking of an archive for this process; false if another process of the host holds a live claim. */
function claim(path: string): boolean {
  try {
    mkdirSync(dirname(path), { recursive: true });
    mkdirSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") return true;
    try {
      return Date.now() - statSync(path).mtimeMs > CLAIM_STALE_MS;
    } catch {
      // Released between the two calls.
      return true;
    }
  }
}

export class Projects {
  private readonly placing = new Map<string, Promise<string>>();

  constructor(
    /** The directory unpacked archives are kept in, by hash. */
    private readonly dir: string,
    private readonly fetch: (hash: string) => Promise<Uint8Array>,
    private readonly limits: UnpackLimits,
    private readonly log: Logger,
    /**
     * A file store used before the pilots' own (`.files`): the per-user store a `pando run` shares across its
     * data directories (bundle/shared-file-store.ts). Where it cannot take a file (another filesystem), the
     * pilots' own does.
     */
    private readonly sharedFileStore?: string,
  ) {}

  /** Where the archive is (or will be) unpacked. */
  dirOf(hash: string): string {
    return join(this.dir, hash);
  }

  /** Forgets an archive: the next job that needs it unpacks it again if it was removed from the cache meanwhile. */
  forget(hash: string): void {
    this.placing.delete(hash);
  }

  /** The unpacked archive's directory, fetched and unpacked the first time. */
  place(hash: string): Promise<string> {
    let placed = this.placing.get(hash);
    if (!placed) {
      const into = this.dirOf(hash);
      // Refreshed as the pilots of the host do the entries they use, so that none of them sweeps it now.
      placed = refreshEntry(into) ? Promise.resolve(into) : this.unpackOnce(hash, into);
      // A failed fetch is tried again by the next job that needs it; a refused archive stays refused (its
      // hash names its bytes), so the jobs that need it fail without fetching it again.
      placed.catch((err: unknown) => {
        if (!(err instanceof ProjectUnpackError)) this.placing.delete(hash);
      });
      this.placing.set(hash, placed);
    }
    return placed;
  }

  /**
   * Fetches and unpacks the archive, unless another pilot sharing the cache directory does it at the same
   * time (a run's local pilots are all told to warm the same project): then this one waits for that one's.
   */
  private async unpackOnce(hash: string, into: string): Promise<string> {
    const claimPath = `${into}.claim`;
    while (!claim(claimPath)) {
      await sleep(CLAIM_POLL_MS);
      if (existsSync(into)) return into;
    }
    try {
      if (existsSync(into)) return into;
      const archive = await this.fetch(hash);
      const fileStores = [...(this.sharedFileStore === undefined ? [] : [this.sharedFileStore]), join(this.dir, FILE_STORE)];
      await unpackOffThread({ archive, hash, into, limits: this.limits, fileStores });
      this.log.info({ project: hash.slice(0, 12), bytes: archive.byteLength }, "project archive fetched and unpacked");
      return into;
    } finally {
      rmSync(claimPath, { recursive: true, force: true });
    }
  }
}
