// Recording pilots' reports: those that waited for a turn are recorded together, in one transaction.
import type { AttemptUpdate, ResultVia } from "../core/dispatch-records.js";
import { BatchingGate } from "../core/batching-gate.js";
import type { ApplyResult } from "../store/dispatch-store.js";
import type { ServerContext } from "./context.js";
import { applyUpdates } from "./isolated-apply.js";

/** Updates of the reports recorded in one transaction at most (a single larger report goes alone). */
const MAX_UPDATES_PER_TRANSACTION = 5000;

interface Report {
  pilotId: number;
  updates: readonly AttemptUpdate[];
  via: ResultVia;
  taskId?: number;
}

/**
 * Records at most `--max-concurrent-reports` transactions of reports at once; the reports that arrive
 * meanwhile wait in memory, not on a database connection, and the next turn records those of one path
 * together: one commit, and one wait on each task's row, for all of them. When such a transaction fails, its
 * reports are recorded one by one, each as isolated-apply does, so that one report that cannot be recorded
 * never holds back the others.
 */
export class ReportRecorder {
  private readonly gate: BatchingGate<Report, ApplyResult>;

  constructor(private readonly ctx: Pick<ServerContext, "store" | "log" | "config">) {
    this.gate = new BatchingGate(
      ctx.config.maxConcurrentReports,
      MAX_UPDATES_PER_TRANSACTION,
      (r) => r.via,
      (r) => r.updates.length,
      (reports) => this.record(reports),
      // The reports that arrive in the same turn of the event loop go together: the results of jobs that
      // ended together on many pilots (one each) arrive side by side, and one transaction records them all.
      setImmediate,
    );
  }

  /** Records a pilot's updates (of task `taskId` only, when given) when its turn comes. */
  apply(pilotId: number, updates: readonly AttemptUpdate[], via: ResultVia, taskId?: number): Promise<ApplyResult> {
    return this.gate.run({ pilotId, updates, via, ...(taskId === undefined ? {} : { taskId }) });
  }

  private async record(reports: readonly Report[]): Promise<ApplyResult[]> {
    const alone = (r: Report) => applyUpdates(this.ctx, r.pilotId, r.updates, r.via, r.taskId);
    if (reports.length === 1) return [await alone(reports[0]!)];
    try {
      return await this.ctx.store.dispatch.applyReports(reports, reports[0]!.via);
    } catch (err) {
      this.ctx.log.warn({ err, reports: reports.length }, "recording reports together failed; recording them one by one");
      const results: ApplyResult[] = [];
      for (const r of reports) results.push(await alone(r));
      return results;
    }
  }
}
