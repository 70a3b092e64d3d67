import { sql, type Kysely } from "../../vendor/kysely.js";
import type { DialectName } from "../dialect.js";

/**
 * The index of a task's result stream (task, done_seq) holds final jobs only: a job is written into it once,
 * when it ends, not also when it is inserted and each time it is claimed (its done_seq still null).
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.dropIndex("jobs_task_done").execute();
  await db.schema
    .createIndex("jobs_task_done")
    .on("jobs")
    .columns(["task_id", "done_seq"])
    .where(sql.ref("done_seq"), "is not", null)
    .execute();
}
