// A pilot's part in keeping its host's cache directory from filling the disk: now and then it refreshes the
// entries it uses (their mtime), forgets those it no longer uses, and removes those no pilot of the host
// refreshed for the keeping time (cache-sweep.ts).
import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import { refreshEntry, sweepCache } from "./cache-sweep.js";

/** The longest pause between two sweeps, whatever the keeping time. */
const MAX_SWEEP_INTERVAL_MS = 10 * 60_000;

export class CacheKeeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cacheDir: string,
    /** The entries the pilot used since then or still runs, refreshed here; it forgets the others (Bundles.retain). */
    private readonly retain: (since: number) => Set<string>,
    /** Entries unused for this long are removed; 0: nothing ever is. */
    private readonly keepMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.keepMs <= 0 || this.timer) return;
    const sweep = () => {
      try {
        this.sweep();
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, "could not sweep the cache");
      }
    };
    this.timer = setInterval(sweep, Math.min(this.keepMs / 4, MAX_SWEEP_INTERVAL_MS));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Refreshes what the pilot uses, forgets what it does not, and removes what nobody used for the keeping time. */
  sweep(now = Date.now()): void {
    const kept = this.retain(now - this.keepMs);
    const at = new Date(now);
    for (const path of kept) refreshEntry(path, at);
    const { removed, bytes, errors } = sweepCache(this.cacheDir, { keepMs: this.keepMs, now, keep: kept });
    if (removed.length > 0) this.log.info({ removed: removed.length, bytes, keepMs: this.keepMs }, "removed code unused for the keeping time from the cache");
    if (errors.length > 0) this.log.warn({ errors: errors.length, first: errors[0] }, "could not sweep every entry of the cache");
  }
}
