import { sql, type RawBuilder } from "../vendor/kysely.js";
import type { ErrorInfo } from "../core/errors.js";
import type { JobOutcome, ResultVia } from "../core/dispatch-records.js";
import type { TaskView } from "../api/tasks.js";
import { FINAL_TASK_STATUSES, type FinalJobState, type TaskStatus } from "../core/states.js";
import { taskStatusFromCounts } from "../core/task-status.js";
import type { Tx } from "./context.js";
import { inIds, jsonRows, runWrites, type DialectName } from "./dialect.js";
import { TASK_COLUMNS, taskView, type TaskRow } from "./task-reads.js";
import { refreshClosedWorkflows } from "./workflow-status.js";

/** A job that reached a final state in this transaction. */
export interface JobFinal {
  jobId: number;
  taskId: number;
  state: FinalJobState;
  result: string | null;
  error: ErrorInfo | null;
  startedAt: number | null;
  endedAt: number;
  via: ResultVia;
  /** What a results read tells of the job besides: given, the change carries the job's outcome (TaskChange.results). */
  facts?: Pick<JobOutcome, "index" | "key" | "attempts" | "pilot" | "queue">;
}

/** What changed for one task in a transaction, for wake-ups and bookkeeping. */
export interface TaskChange {
  taskId: number;
  workflowId: number;
  status: TaskStatus;
  ended: boolean;
  /** The new final states took the result cursor from `seqFrom` (exclusive) to `seqTo`. */
  seqFrom: number;
  seqTo: number;
  /** How many of the new final states are of each state (only the states there are). */
  outcomes?: Partial<Record<FinalJobState, number>>;
  /**
   * The new final states as a results read after `seqFrom` returns them, and the task as it reads once they
   * are committed: given when every one of them came with its facts (pilots' reports), so that a driver woken
   * for them is answered without reading them back.
   */
  results?: { view: TaskView; outcomes: JobOutcome[] };
}

/** A task's row after a batch of its jobs became final, with what decides its status. */
type CounterRow = TaskRow & { killed: number; workflow_closed_at: number | null };

/** The outcome of a job that became final, as a results read returns it. */
function outcomeOf(f: JobFinal, facts: NonNullable<JobFinal["facts"]>, seq: number): JobOutcome {
  const outcome: JobOutcome = { jobId: f.jobId, state: f.state, startedAt: f.startedAt, endedAt: f.endedAt, via: f.via, seq, ...facts };
  if (f.result !== null) outcome.result = f.result;
  if (f.error) outcome.error = f.error;
  return outcome;
}

/**
 * Moves the counters of every task with new final states in one statement (each task's result cursor by
 * its count of them), answering each task's row after it. On PostgreSQL the rows are locked first in id
 * order, so that transactions recording finals of the same tasks cannot deadlock. One statement rather than
 * one per task: a task's row stays locked until the transaction commits, and with a busy server each round
 * trip made meanwhile held back every other report about that task.
 */
async function moveTaskCounters(
  trx: Tx,
  dialect: DialectName,
  tasks: ReadonlyArray<readonly [number, readonly JobFinal[]]>,
  countsOf: ReadonlyMap<number, Partial<Record<FinalJobState, number>>>,
  now: number,
): Promise<Map<number, CounterRow>> {
  const deltas = tasks.map(([taskId, list]) => {
    const count = (s: FinalJobState) => countsOf.get(taskId)![s] ?? 0;
    return { task: taskId, dn: list.length, df: count("finished"), dx: count("failed") + count("closed"), dc: count("cancelled") };
  });
  const ids = deltas.map((d) => d.task);
  const locked = dialect === "postgres" ? sql`AND tasks.id IN (SELECT id FROM tasks WHERE ${inIds(dialect, "id", ids)} ORDER BY id FOR UPDATE)` : sql``;
  const { rows } = await sql<CounterRow>`
    UPDATE tasks SET result_seq = result_seq + u.dn, n_finished = n_finished + u.df, n_failed = n_failed + u.dx,
                     n_cancelled = n_cancelled + u.dc, updated_at = ${now}
    FROM ${jsonRows(dialect, deltas, { task: "int", dn: "int", df: "int", dx: "int", dc: "int" })}
    WHERE tasks.id = u.task ${locked}
    RETURNING ${sql.raw(TASK_COLUMNS.map((c) => `tasks.${c}`).join(", "))}, tasks.killed,
              (SELECT closed_at FROM workflows WHERE workflows.id = tasks.workflow_id) AS workflow_closed_at`.execute(trx);
  return new Map(rows.map((r) => [Number(r.id), r]));
}

/**
 * Records jobs that became final, in the caller's transaction: each takes the next number of its task's
 * result stream (the cursor drivers read from), the task's counters move, and a task whose jobs are all
 * final gets its status. One statement for the tasks, then one for all the jobs, the statuses and the caller's
 * `writes` (which must not touch the tasks and jobs written here: see runWrites).
 */
export async function recordFinals(
  trx: Tx,
  dialect: DialectName,
  finals: readonly JobFinal[],
  now: number,
  writes: ReadonlyArray<RawBuilder<unknown>> = [],
): Promise<TaskChange[]> {
  if (finals.length === 0) {
    await runWrites(trx, dialect, writes);
    return [];
  }
  const statuses: Array<RawBuilder<unknown>> = [];
  const byTask = new Map<number, JobFinal[]>();
  for (const f of finals) {
    const list = byTask.get(f.taskId);
    if (list) list.push(f);
    else byTask.set(f.taskId, [f]);
  }
  const changes: TaskChange[] = [];
  const closedWorkflows: number[] = [];
  const rows: object[] = [];
  const tasks = [...byTask].sort(([a], [b]) => a - b);
  const countsOf = new Map(
    tasks.map(([taskId, list]) => {
      const counts: Partial<Record<FinalJobState, number>> = {};
      for (const f of list) counts[f.state] = (counts[f.state] ?? 0) + 1;
      return [taskId, counts];
    }),
  );
  const updated = await moveTaskCounters(trx, dialect, tasks, countsOf, now);
  for (const [taskId, list] of tasks) {
    const counts = countsOf.get(taskId)!;
    const t = updated.get(taskId)!;
    let seq = t.result_seq - list.length;
    const outcomes: JobOutcome[] = [];
    for (const f of list) {
      if (f.facts) outcomes.push(outcomeOf(f, f.facts, seq + 1));
      rows.push({
        id: f.jobId,
        s: f.state,
        r: f.result,
        e: f.error ? JSON.stringify(f.error) : null,
        q: ++seq,
        b: f.startedAt,
        n: f.endedAt,
        v: f.via,
      });
    }
    const status = taskStatusFromCounts(
      { nJobs: t.n_jobs, nFinished: t.n_finished, nFailed: t.n_failed, nCancelled: t.n_cancelled },
      t.killed === 1,
    );
    const ended = FINAL_TASK_STATUSES.has(status) && !FINAL_TASK_STATUSES.has(t.status);
    if (ended) statuses.push(sql`UPDATE tasks SET status = ${status}, ended_at = ${now} WHERE id = ${taskId}`);
    const change: TaskChange = { taskId, workflowId: t.workflow_id, status, ended, seqFrom: t.result_seq - list.length, seqTo: t.result_seq, outcomes: counts };
    if (outcomes.length === list.length) change.results = { view: taskView({ ...t, status: ended ? status : t.status, ended_at: ended ? now : t.ended_at }), outcomes };
    changes.push(change);
    if (ended && t.workflow_closed_at !== null) closedWorkflows.push(t.workflow_id);
  }
  const jobs = sql`
    UPDATE jobs SET state = u.s, result = u.r, error = u.e, done_seq = u.q, started_at = u.b, ended_at = u.n,
                    result_via = u.v, updated_at = ${now}
    FROM ${jsonRows(dialect, rows, { id: "int", s: "text", r: "text", e: "text", q: "int", b: "int", n: "int", v: "text" })}
    WHERE jobs.id = u.id`;
  await runWrites(trx, dialect, [...writes, ...statuses, jobs]);
  await refreshClosedWorkflows(trx, dialect, closedWorkflows, now, "skip");
  return changes;
}
