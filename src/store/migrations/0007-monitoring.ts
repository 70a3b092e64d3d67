import { sql, type Kysely } from "../../vendor/kysely.js";
import { JOB_PROBLEMS } from "../dialect.js";

/**
 * Indexes of the monitoring and housekeeping queries: workflow listings by status (newest first), ended
 * workflows for pruning, a task's failed and cancelled jobs (error summaries, retries) without reading its
 * finished ones, and a workflow's scoped tokens.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("workflows_status").on("workflows").columns(["status", "id"]).execute();
  await db.schema
    .createIndex("workflows_ended")
    .on("workflows")
    .columns(["ended_at"])
    .where(sql.ref("ended_at"), "is not", null)
    .execute();
  await db.schema
    .createIndex("jobs_task_problems")
    .on("jobs")
    .columns(["task_id", "idx"])
    .where(sql.raw<boolean>(JOB_PROBLEMS))
    .execute();
  await db.schema
    .createIndex("tokens_workflow")
    .on("tokens")
    .columns(["workflow_id"])
    .where(sql.ref("workflow_id"), "is not", null)
    .execute();
}

