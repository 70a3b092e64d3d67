import { sql } from "../vendor/kysely.js";
import { MAX_VALUE_SOURCE_CHARS } from "../core/job-columns.js";
import type { JobState } from "../core/states.js";
import type { StoreContext } from "./context.js";

/** A job's arguments and result as stored (tagged JSON text), for the monitor's table of job values. */
export interface StoredJobValues {
  id: number;
  taskId: number;
  index: number;
  state: JobState;
  endedAt: number | null;
  /** Null when longer than MAX_VALUE_SOURCE_CHARS: a page never reads a task's payloads whole. */
  args: string | null;
  result: string | null;
}

/** A column's text only when it is short enough to show as cells (SQLite and PostgreSQL alike). */
const shortOnly = (column: "jobs.args" | "jobs.result") =>
  sql<string | null>`CASE WHEN length(${sql.ref(column)}) <= ${MAX_VALUE_SOURCE_CHARS} THEN ${sql.ref(column)} END`;

/**
 * Jobs with their arguments and results, a page at a time: a task's in index order (through the task's job
 * index), or the finished jobs of a workflow's work tasks in id order (for the parameter view).
 */
export class JobValuesStore {
  constructor(private readonly ctx: StoreContext) {}

  private select() {
    return this.ctx.db
      .selectFrom("jobs")
      .select(["jobs.id", "jobs.task_id", "jobs.idx", "jobs.state", "jobs.ended_at"])
      .select([shortOnly("jobs.args").as("args"), shortOnly("jobs.result").as("result")]);
  }

  /** A task's jobs from index `from`, optionally in some states only. */
  async ofTask(taskId: number, states: readonly JobState[] | undefined, from: number, limit: number): Promise<StoredJobValues[]> {
    let q = this.select().where("jobs.task_id", "=", taskId).where("jobs.idx", ">=", from).orderBy("jobs.idx").limit(limit);
    if (states && states.length > 0) q = q.where("jobs.state", "in", [...states]);
    return (await q.execute()).map(stored);
  }

  /** The finished jobs of a workflow's work tasks from job id `from`. */
  async finishedOfWorkflow(workflowId: number, from: number, limit: number): Promise<StoredJobValues[]> {
    const rows = await this.select()
      .innerJoin("tasks", "tasks.id", "jobs.task_id")
      .where("tasks.workflow_id", "=", workflowId)
      .where("tasks.kind", "=", "work")
      .where("jobs.state", "=", "finished")
      .where("jobs.id", ">=", from)
      .orderBy("jobs.id")
      .limit(limit)
      .execute();
    return rows.map(stored);
  }
}

function stored(r: { id: number; task_id: number; idx: number; state: JobState; ended_at: number | null; args: string | null; result: string | null }): StoredJobValues {
  return { id: r.id, taskId: r.task_id, index: r.idx, state: r.state, endedAt: r.ended_at, args: r.args, result: r.result };
}
