// Recording a pilot's updates so that one that cannot be stored never holds back the others in its batch.
import type { AttemptUpdate, ResultVia } from "../core/dispatch-records.js";
import { errorMessage } from "../core/errors.js";
import { applyIsolating } from "../core/isolate-batch.js";
import { unrecordableReport } from "../core/unrecordable-report.js";
import type { ApplyResult } from "../store/dispatch-store.js";
import type { ServerContext } from "./context.js";

const EMPTY: ApplyResult = { accepted: 0, ignored: 0, tasks: [], requeued: [], refused: [] };

/** A final update the store could not record, as its job's failure without the payload that could not be stored. */
function unrecordable(u: AttemptUpdate, err: unknown): AttemptUpdate {
  const why = errorMessage(err).slice(0, 500);
  return unrecordableReport(u, `the server could not record the ${u.state} report of this attempt (${why}); the other jobs reported with it were recorded`);
}

function merged(parts: readonly ApplyResult[]): ApplyResult {
  if (parts.length === 1) return parts[0]!;
  return {
    accepted: parts.reduce((n, p) => n + p.accepted, 0),
    ignored: parts.reduce((n, p) => n + p.ignored, 0),
    tasks: parts.flatMap((p) => p.tasks),
    requeued: [...new Set(parts.flatMap((p) => p.requeued))],
    refused: parts.flatMap((p) => p.refused),
  };
}

/**
 * Applies a pilot's updates in one transaction; if that fails, in halves, down to the update to blame, which
 * is recorded as its job's failure (`unrecordable_report`) when it is final and left out when it is not (a
 * running state; the final one follows). If even that fails the store is failing, and the error is thrown.
 */
export async function applyUpdates(
  ctx: Pick<ServerContext, "store" | "log">,
  pilotId: number,
  updates: readonly AttemptUpdate[],
  via: ResultVia,
  /** The task a broker message named: its updates count only for jobs of that task. */
  taskId?: number,
): Promise<ApplyResult> {
  const apply = (part: readonly AttemptUpdate[]) => ctx.store.dispatch.apply(pilotId, part, via, taskId);
  const parts = await applyIsolating(updates, apply, async (u, err) => {
    ctx.log.error({ err, pilotId, jobId: u.jobId, attempt: u.attempt, state: u.state }, "could not record an update of a pilot's report");
    if (u.state === "running") return EMPTY;
    return apply([unrecordable(u, err)]);
  });
  return merged(parts);
}
