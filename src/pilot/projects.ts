// The project archives a pilot's jobs run in: fetched from the server once per hash into the cache
// directory (shared by the pilots of a host), unpacked there read-only (bundle/project-unpack.ts).
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { ProjectUnpackError, unpackProject, type UnpackLimits } from "../bundle/project-unpack.js";

export class Projects {
  private readonly placing = new Map<string, Promise<string>>();

  constructor(
    /** The directory unpacked archives are kept in, by hash. */
    private readonly dir: string,
    private readonly fetch: (hash: string) => Promise<Uint8Array>,
    private readonly limits: UnpackLimits,
    private readonly log: Logger,
  ) {}

  /** Where the archive is (or will be) unpacked. */
  dirOf(hash: string): string {
    return join(this.dir, hash);
  }

  /** The unpacked archive's directory, fetched and unpacked the first time. */
  place(hash: string): Promise<string> {
    let placed = this.placing.get(hash);
    if (!placed) {
      const into = this.dirOf(hash);
      placed = existsSync(into)
        ? Promise.resolve(into)
        : this.fetch(hash).then((archive) => {
            unpackProject(archive, hash, into, this.limits);
            this.log.info({ project: hash.slice(0, 12), bytes: archive.byteLength }, "project archive fetched and unpacked");
            return into;
          });
      // A failed fetch is tried again by the next job that needs it; a refused archive stays refused (its
      // hash names its bytes), so the jobs that need it fail without fetching it again.
      placed.catch((err: unknown) => {
        if (!(err instanceof ProjectUnpackError)) this.placing.delete(hash);
      });
      this.placing.set(hash, placed);
    }
    return placed;
  }
}
