import type { JobValues, JobValuesPage, JobValuesQuery } from "../api/monitoring.js";
import { argumentColumns, resultColumns, TOO_LARGE } from "../core/job-columns.js";
import type { Principal } from "../store/auth-store.js";
import type { StoredJobValues } from "../store/job-values-store.js";
import type { AccessGuard } from "./access-guard.js";
import type { ServerContext } from "./context.js";

/**
 * Jobs with their arguments and results as table cells, a bounded page at a time: what the monitor's jobs
 * table and parameter view show, so that a user sees which arguments gave which score.
 */
export class JobValuesService {
  constructor(
    private readonly ctx: Pick<ServerContext, "store">,
    private readonly guard: AccessGuard,
  ) {}

  async ofTask(p: Principal, taskId: number, q: JobValuesQuery): Promise<JobValuesPage> {
    await this.guard.authorizeTask(p, taskId);
    const rows = await this.ctx.store.jobValues.ofTask(taskId, q.state, q.cursor, q.limit);
    return { jobs: rows.map(cells), next: rows.length === q.limit ? rows[rows.length - 1]!.index + 1 : null };
  }

  async finishedOfWorkflow(p: Principal, workflowId: number, q: Omit<JobValuesQuery, "state">): Promise<JobValuesPage> {
    await this.guard.authorizeWorkflow(p, workflowId);
    const rows = await this.ctx.store.jobValues.finishedOfWorkflow(workflowId, q.cursor, q.limit);
    return { jobs: rows.map(cells), next: rows.length === q.limit ? rows[rows.length - 1]!.id + 1 : null };
  }
}

function cells(row: StoredJobValues): JobValues {
  const args = row.args === null ? undefined : parseQuietly(row.args);
  return {
    id: row.id,
    taskId: row.taskId,
    index: row.index,
    state: row.state,
    endedAt: row.endedAt,
    args: row.args === null ? TOO_LARGE : args === undefined ? {} : argumentColumns(args),
    result: row.result === null ? {} : resultColumns(parseQuietly(row.result)),
  };
}

/** Stored values are tagged JSON the server checked; one that does not parse (it never should) shows as no cells. */
function parseQuietly(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
