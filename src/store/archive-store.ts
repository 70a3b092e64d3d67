import { sql } from "../vendor/kysely.js";
import type { PruneCounts } from "../api/monitoring.js";
import { FINAL_WORKFLOW_STATUSES } from "../core/states.js";
import { HELD_BY_PILOT } from "./dialect.js";
import { lastAttemptOnRow } from "./attempt-history.js";
import type { StoreContext, Tx } from "./context.js";
import type { AttemptsTable } from "./schema.js";

/** One line of a workflow's archive: a row of one of its tables, as stored. */
export type ArchiveRecord = { type: "workflow" | "task" | "job" | "step"; row: Record<string, unknown> };

const JOB_PAGE = 1000;

/** Why a workflow cannot be deleted yet, or null if it can. */
export type PruneRefusal = "not_found" | "not_ended" | "jobs_held" | "newest";

/** Archiving and deleting the state of ended workflows, so the database does not grow without end. */
export class ArchiveStore {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Every row of a workflow: the workflow, its tasks, its jobs (each with its ended attempts) and its steps.
   * Jobs are read a page at a time so a task of 100,000 jobs never sits in memory whole.
   */
  async *records(workflowId: number): AsyncGenerator<ArchiveRecord> {
    const db = this.ctx.db;
    const wf = await db.selectFrom("workflows").selectAll().where("id", "=", workflowId).executeTakeFirst();
    if (!wf) return;
    yield { type: "workflow", row: wf };
    const tasks = await db.selectFrom("tasks").selectAll().where("workflow_id", "=", workflowId).orderBy("id").execute();
    for (const t of tasks) yield { type: "task", row: t };
    for (const t of tasks) {
      for (let from = 0; ; ) {
        const jobs = await db
          .selectFrom("jobs")
          .selectAll()
          .where("task_id", "=", t.id)
          .where("idx", ">=", from)
          .orderBy("idx")
          .limit(JOB_PAGE)
          .execute();
        if (jobs.length === 0) break;
        const attempts = await db
          .selectFrom("attempts")
          .selectAll()
          .where(
            "job_id",
            "in",
            jobs.map((j) => j.id),
          )
          .orderBy("job_id")
          .orderBy("nr")
          .execute();
        for (const j of jobs) {
          const history: AttemptsTable[] = attempts.filter((a) => a.job_id === j.id);
          const onRow = lastAttemptOnRow(j, history.map((a) => a.nr));
          yield { type: "job", row: { ...j, attempts: onRow ? [...history, onRow] : history } };
        }
        from = jobs[jobs.length - 1]!.idx + 1;
      }
    }
    const steps = await db.selectFrom("steps").selectAll().where("workflow_id", "=", workflowId).orderBy("seq").execute();
    for (const s of steps) yield { type: "step", row: s };
  }

  /**
   * SQLite gives a new row the largest id plus one, so deleting the rows with the largest ids would hand
   * their ids out again, and ids are cached and shown to users as names. Such a workflow is kept until a
   * newer one exists. (PostgreSQL's sequences never go back.)
   */
  private async holdsNewestIds(trx: Tx, workflowId: number): Promise<boolean> {
    const { rows } = await sql<{ w: number; t: number; j: number }>`
      SELECT (SELECT max(id) FROM workflows) AS w,
             (SELECT max(id) FROM tasks) AS t,
             (SELECT max(id) FROM jobs) AS j`.execute(trx);
    const max = rows[0]!;
    if (max.w === workflowId) return true;
    const { rows: own } = await sql<{ n: number }>`
      SELECT count(*) AS n FROM tasks WHERE workflow_id = ${workflowId} AND (id = ${max.t}
        OR id = (SELECT task_id FROM jobs WHERE id = ${max.j}))`.execute(trx);
    return Number(own[0]?.n ?? 0) > 0;
  }

  /**
   * Deletes an ended workflow and everything of it, in one transaction. Refused while the workflow runs or
   * while a pilot still holds one of its jobs (a kill not yet confirmed), so nothing live is ever touched.
   */
  async delete(workflowId: number): Promise<PruneCounts | PruneRefusal> {
    return this.ctx.db.transaction().execute(async (trx) => {
      const wf = await trx
        .selectFrom("workflows")
        .select(["status", "ended_at"])
        .where("id", "=", workflowId)
        // SQLite has one writer at a time; PostgreSQL locks the row against a concurrent retry or close.
        .$if(this.ctx.dialect === "postgres", (q) => q.forUpdate())
        .executeTakeFirst();
      if (!wf) return "not_found";
      if (wf.ended_at === null || !FINAL_WORKFLOW_STATUSES.has(wf.status)) return "not_ended";
      const taskIds = sql`SELECT id FROM tasks WHERE workflow_id = ${workflowId}`;
      const held = await sql<{ n: number }>`
        SELECT count(*) AS n FROM jobs WHERE pilot_id IS NOT NULL AND ${sql.raw(HELD_BY_PILOT)} AND task_id IN (${taskIds})`.execute(trx);
      if (Number(held.rows[0]?.n ?? 0) > 0) return "jobs_held";
      if (this.ctx.dialect === "sqlite" && (await this.holdsNewestIds(trx, workflowId))) return "newest";
      const count = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
      // Every attempt made ended (no pilot holds a job): attempts 1 to attempt_nr of each job, whether the
      // history has a row of it or its job's row stands for it (store/attempt-history.ts).
      const made = await sql<{ n: number | null }>`SELECT sum(attempt_nr) AS n FROM jobs WHERE task_id IN (${taskIds})`.execute(trx);
      await trx
        .deleteFrom("attempts")
        .where("job_id", "in", sql<number>`(SELECT id FROM jobs WHERE task_id IN (${taskIds}))`)
        .executeTakeFirstOrThrow();
      const jobs = await trx.deleteFrom("jobs").where("task_id", "in", sql<number>`(${taskIds})`).executeTakeFirstOrThrow();
      const steps = await trx.deleteFrom("steps").where("workflow_id", "=", workflowId).executeTakeFirstOrThrow();
      const tokens = await trx.deleteFrom("tokens").where("workflow_id", "=", workflowId).executeTakeFirstOrThrow();
      const tasks = await trx.deleteFrom("tasks").where("workflow_id", "=", workflowId).executeTakeFirstOrThrow();
      const workflows = await trx.deleteFrom("workflows").where("id", "=", workflowId).executeTakeFirstOrThrow();
      return {
        workflows: count(workflows),
        tasks: count(tasks),
        jobs: count(jobs),
        attempts: Number(made.rows[0]?.n ?? 0),
        steps: count(steps),
        tokens: count(tokens),
      };
    });
  }
}
