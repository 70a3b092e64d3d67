import { sql } from "../vendor/kysely.js";
import type { ErrorInfo } from "../core/errors.js";
import type { JobAttemptView, JobView, TaskView } from "../api/tasks.js";
import type { JobOutcome } from "../core/dispatch-records.js";
import type { FinalJobState, ResultVia } from "../core/states.js";
import { lastAttemptOnRow } from "./attempt-history.js";
import type { StoreContext, Tx } from "./context.js";
import type { TasksTable } from "./schema.js";
import type { TaskInfo, TaskInfoCache } from "./task-info.js";

export type TaskRow = Pick<
  TasksTable,
  | "workflow_id"
  | "seq"
  | "work"
  | "status"
  | "queue"
  | "n_jobs"
  | "n_finished"
  | "n_failed"
  | "n_cancelled"
  | "result_seq"
  | "channel"
  | "kind"
  | "pending_reason"
  | "cores"
  | "memory_mb"
  | "walltime_s"
  | "max_attempts"
  | "priority"
  | "objective_name"
  | "objective_direction"
  | "created_at"
  | "ended_at"
> & { id: number };

export function taskView(row: TaskRow): TaskView {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    kind: row.kind,
    work: row.work,
    seq: row.seq,
    status: row.status,
    queue: row.queue,
    nJobs: row.n_jobs,
    nFinished: row.n_finished,
    nFailed: row.n_failed,
    nCancelled: row.n_cancelled,
    resultCursor: row.result_seq,
    channel: row.channel,
    pendingReason: row.pending_reason,
    cores: row.cores,
    memoryMb: row.memory_mb,
    walltimeS: row.walltime_s,
    maxAttempts: row.max_attempts,
    priority: row.priority,
    objective: row.objective_name === null || row.objective_direction === null ? null : { name: row.objective_name, direction: row.objective_direction },
    createdAt: row.created_at,
    endedAt: row.ended_at,
  };
}

export const TASK_COLUMNS = [
  "id",
  "workflow_id",
  "seq",
  "work",
  "status",
  "queue",
  "n_jobs",
  "n_finished",
  "n_failed",
  "n_cancelled",
  "result_seq",
  "channel",
  "kind",
  "pending_reason",
  "cores",
  "memory_mb",
  "walltime_s",
  "max_attempts",
  "priority",
  "objective_name",
  "objective_direction",
  "created_at",
  "ended_at",
] as const;

function parseError(text: string | null): ErrorInfo | null {
  return text === null ? null : (JSON.parse(text) as ErrorInfo);
}

/** A task's view, read with `db` (the store's connection or the caller's transaction). */
export async function readTaskView(db: Tx, taskId: number): Promise<TaskView | undefined> {
  // Read on every results poll: plain SQL, no query building.
  const { rows } = await sql<TaskRow>`SELECT ${sql.raw(TASK_COLUMNS.join(", "))} FROM tasks WHERE id = ${taskId}`.execute(db);
  return rows[0] ? taskView(rows[0]) : undefined;
}

/** Reading tasks and their jobs: a task's facts and view, a workflow's tasks, a task's results, a job's history. */
export class TaskReads {
  constructor(
    private readonly ctx: StoreContext,
    private readonly infos: TaskInfoCache,
  ) {}

  /** A task's immutable facts (cached). */
  info(taskId: number): Promise<TaskInfo | undefined> {
    return this.infos.get(this.ctx.db, taskId);
  }

  get(taskId: number): Promise<TaskView | undefined> {
    return readTaskView(this.ctx.db, taskId);
  }

  async listForWorkflow(workflowId: number): Promise<TaskView[]> {
    const rows = await this.ctx.db
      .selectFrom("tasks")
      .select(TASK_COLUMNS)
      .where("workflow_id", "=", workflowId)
      .orderBy("id")
      .execute();
    return rows.map(taskView);
  }

  /** Final outcomes of a task's jobs after the cursor, in the order they became final. */
  async results(taskId: number, after: number, limit: number): Promise<JobOutcome[]> {
    // Only final jobs have a place in the result stream (done_seq).
    const { rows } = await sql<{
      id: number;
      idx: number;
      job_key: string;
      state: FinalJobState;
      result: string | null;
      error: string | null;
      attempt_nr: number;
      started_at: number | null;
      ended_at: number | null;
      queue: string;
      done_seq: number | null;
      result_via: ResultVia | null;
      pilot: string | null;
    }>`
      SELECT j.id, j.idx, j.job_key, j.state, j.result, j.error, j.attempt_nr, j.started_at, j.ended_at, j.queue,
             j.done_seq, j.result_via, p.name AS pilot
      FROM jobs j LEFT JOIN pilots p ON p.id = j.pilot_id
      WHERE j.task_id = ${taskId} AND j.done_seq > ${after}
      ORDER BY j.done_seq LIMIT ${limit}`.execute(this.ctx.db);
    return rows.map((r) => {
      const outcome: JobOutcome = {
        jobId: r.id,
        index: r.idx,
        key: r.job_key,
        state: r.state,
        attempts: r.attempt_nr,
        startedAt: r.started_at,
        endedAt: r.ended_at,
        pilot: r.pilot,
        queue: r.queue,
        via: r.result_via,
        seq: r.done_seq ?? 0,
      };
      if (r.result !== null) outcome.result = r.result;
      const error = parseError(r.error);
      if (error) outcome.error = error;
      return outcome;
    });
  }

  async job(jobId: number): Promise<JobView | undefined> {
    const db = this.ctx.db;
    const row = await db
      .selectFrom("jobs")
      .innerJoin("tasks", "tasks.id", "jobs.task_id")
      .selectAll("jobs")
      .select("tasks.workflow_id")
      .where("jobs.id", "=", jobId)
      .executeTakeFirst();
    if (!row) return undefined;
    const attempts = await db
      .selectFrom("attempts")
      .leftJoin("pilots", "pilots.id", "attempts.pilot_id")
      .selectAll("attempts")
      .select("pilots.name as pilot")
      .where("attempts.job_id", "=", jobId)
      .orderBy("attempts.nr")
      .execute();
    const pilotName = async () =>
      row.pilot_id === null ? null : ((await db.selectFrom("pilots").select("name").where("id", "=", row.pilot_id).executeTakeFirst())?.name ?? null);
    const onRow = lastAttemptOnRow(row, attempts.map((a) => a.nr));
    if (onRow) attempts.push({ ...onRow, pilot: await pilotName() });
    const history: JobAttemptView[] = attempts.map((a) => ({
      attempt: a.nr,
      state: a.state,
      pilot: a.pilot,
      sentAt: a.sent_at,
      startedAt: a.started_at,
      endedAt: a.ended_at,
      error: parseError(a.error),
      stdout: a.stdout,
      stderr: a.stderr,
    }));
    if (row.sent_at !== null && !history.some((a) => a.attempt === row.attempt_nr)) {
      // The current attempt lives on the job row until it ends.
      history.push({
        attempt: row.attempt_nr,
        state: row.kill_requested === 1 ? "killing" : row.state,
        pilot: await pilotName(),
        sentAt: row.sent_at,
        startedAt: row.started_at,
        endedAt: null,
        error: null,
        stdout: null,
        stderr: null,
      });
    }
    return {
      id: row.id,
      taskId: row.task_id,
      workflowId: row.workflow_id,
      index: row.idx,
      key: row.job_key,
      state: row.state,
      args: row.args,
      result: row.result,
      error: parseError(row.error),
      via: row.result_via,
      queue: row.queue,
      createdAt: row.created_at,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      attempts: history,
    };
  }
}
