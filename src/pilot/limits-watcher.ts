import { attemptKey } from "../core/attempt-key.js";
import type { ErrorInfo } from "../core/errors.js";
import type { AttemptRef, DispatchedJob } from "../core/dispatch-records.js";
import { treeResidentMb } from "./process-tree.js";

const MEMORY_CHECK_MS = 500;

/**
 * Holds running jobs to what they asked for: told when a job runs past its walltime (`walltime_exceeded`)
 * or when the resident memory of its executor and every process that executor started (a command work's
 * command and its children) goes over the job's memory (`out_of_memory`).
 */
export class LimitsWatcher {
  private readonly watches = new Map<string, () => void>();

  constructor(
    private readonly over: (job: DispatchedJob, error: ErrorInfo) => void,
    private readonly memoryCheckMs = MEMORY_CHECK_MS,
    /** The resident memory of a process tree in MiB, undefined once the process is gone. */
    private readonly residentMb: (pid: number) => number | undefined = treeResidentMb,
  ) {}

  /**
   * Watches a job that starts now in the process `pid` (undefined: memory cannot be watched); a job
   * watched already keeps its watch (and its walltime counts from its start).
   */
  watch(job: DispatchedJob, pid: number | undefined): void {
    if (job.walltimeMs <= 0 && job.memoryMb <= 0) return;
    const key = attemptKey(job);
    if (this.watches.has(key)) return;
    const stops: Array<() => void> = [];
    if (job.walltimeMs > 0) {
      const timer = setTimeout(
        () => this.over(job, { code: "walltime_exceeded", message: `the job ran longer than its walltime of ${job.walltimeMs} ms and was killed` }),
        job.walltimeMs,
      );
      stops.push(() => clearTimeout(timer));
    }
    if (job.memoryMb > 0) {
      const check = setInterval(() => {
        const rss = pid === undefined ? undefined : this.residentMb(pid);
        if (rss === undefined || rss <= job.memoryMb) return;
        this.over(job, {
          code: "out_of_memory",
          message: `the job's processes used ${Math.round(rss)} MiB, over the ${job.memoryMb} MiB it asked for, and were killed`,
        });
      }, this.memoryCheckMs);
      stops.push(() => clearInterval(check));
    }
    if (stops.length > 0) this.watches.set(key, () => stops.forEach((stop) => stop()));
  }

  /** The job stopped running (ended, or went back to waiting). */
  stop(ref: AttemptRef): void {
    if (this.watches.size === 0) return;
    const key = attemptKey(ref);
    const stop = this.watches.get(key);
    if (!stop) return;
    stop();
    this.watches.delete(key);
  }

  stopAll(): void {
    for (const stop of this.watches.values()) stop();
    this.watches.clear();
  }
}
