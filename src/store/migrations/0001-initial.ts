import { sql, type Kysely } from "../../vendor/kysely.js";
import { HELD_BY_PILOT, type DialectName } from "../dialect.js";

/** The first schema: every entity of DESIGN.md and the indexes of the hot queries. */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const idType = dialect === "postgres" ? "bigserial" : "integer";
  const big = dialect === "postgres" ? "bigint" : "integer";
  const blob = dialect === "postgres" ? "bytea" : "blob";

  await db.schema
    .createTable("users")
    .addColumn("id", idType, (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("tokens")
    .addColumn("id", idType, (c) => c.primaryKey())
    .addColumn("user_id", big, (c) => c.notNull().references("users.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull().unique())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("workflow_id", big)
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("revoked_at", big)
    .execute();

  await db.schema
    .createTable("workflows")
    .addColumn("id", idType, (c) => c.primaryKey())
    .addColumn("user_id", big, (c) => c.notNull().references("users.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("mode", "text", (c) => c.notNull())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("bundle_hash", "text")
    .addColumn("node_version", "text")
    .addColumn("lockfile_hash", "text")
    .addColumn("result", "text")
    .addColumn("error", "text")
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("updated_at", big, (c) => c.notNull())
    .addColumn("closed_at", big)
    .addColumn("ended_at", big)
    .execute();
  await db.schema.createIndex("workflows_user").on("workflows").columns(["user_id", "id"]).execute();

  await db.schema
    .createTable("tasks")
    .addColumn("id", idType, (c) => c.primaryKey())
    .addColumn("workflow_id", big, (c) => c.notNull().references("workflows.id"))
    .addColumn("seq", big)
    .addColumn("work", "text", (c) => c.notNull())
    .addColumn("bundle_hash", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("priority", "integer", (c) => c.notNull())
    .addColumn("max_attempts", "integer", (c) => c.notNull())
    .addColumn("n_jobs", "integer", (c) => c.notNull())
    .addColumn("n_finished", "integer", (c) => c.notNull())
    .addColumn("n_failed", "integer", (c) => c.notNull())
    .addColumn("n_cancelled", "integer", (c) => c.notNull())
    .addColumn("result_seq", big, (c) => c.notNull())
    .addColumn("killed", "integer", (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("updated_at", big, (c) => c.notNull())
    .addColumn("ended_at", big)
    .execute();
  await db.schema.createIndex("tasks_workflow").on("tasks").columns(["workflow_id", "id"]).execute();

  await db.schema
    .createTable("jobs")
    .addColumn("id", idType, (c) => c.primaryKey())
    .addColumn("task_id", big, (c) => c.notNull().references("tasks.id"))
    .addColumn("idx", "integer", (c) => c.notNull())
    .addColumn("job_key", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("priority", "integer", (c) => c.notNull())
    .addColumn("args", "text", (c) => c.notNull())
    .addColumn("result", "text")
    .addColumn("error", "text")
    .addColumn("attempt_nr", "integer", (c) => c.notNull())
    .addColumn("failures", "integer", (c) => c.notNull())
    .addColumn("system_failures", "integer", (c) => c.notNull())
    .addColumn("max_attempts", "integer", (c) => c.notNull())
    .addColumn("pilot_id", big)
    .addColumn("sent_at", big)
    .addColumn("kill_requested", "integer", (c) => c.notNull())
    .addColumn("done_seq", big)
    .addColumn("started_at", big)
    .addColumn("ended_at", big)
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("updated_at", big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("jobs_task_idx").on("jobs").columns(["task_id", "idx"]).unique().execute();
  await db.schema.createIndex("jobs_task_done").on("jobs").columns(["task_id", "done_seq"]).execute();
  // The dispatch query reads only activated jobs of one queue in priority order.
  await db.schema
    .createIndex("jobs_dispatch")
    .on("jobs")
    .columns(["queue", "priority desc", "id"])
    .where(sql.ref("state"), "=", "activated")
    .execute();
  // What each pilot holds: its running attempts, and killed ones it has not yet confirmed.
  await db.schema
    .createIndex("jobs_held")
    .on("jobs")
    .columns(["pilot_id"])
    .where(sql.raw<boolean>(HELD_BY_PILOT))
    .execute();

  await db.schema
    .createTable("attempts")
    .addColumn("job_id", big, (c) => c.notNull().references("jobs.id"))
    .addColumn("nr", "integer", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("pilot_id", big, (c) => c.notNull())
    .addColumn("sent_at", big, (c) => c.notNull())
    .addColumn("started_at", big)
    .addColumn("ended_at", big)
    .addColumn("error", "text")
    .addColumn("stdout", "text")
    .addColumn("stderr", "text")
    .addPrimaryKeyConstraint("attempts_pk", ["job_id", "nr"])
    // On SQLite the rows live in the primary-key tree itself, one B-tree to write instead of two.
    .$call((t) => (dialect === "sqlite" ? t.modifyEnd(sql`WITHOUT ROWID`) : t))
    .execute();

  await db.schema
    .createTable("pilots")
    .addColumn("id", idType, (c) => c.primaryKey())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("pid", "integer", (c) => c.notNull())
    .addColumn("slots", "integer", (c) => c.notNull())
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("heartbeat_at", big, (c) => c.notNull())
    .addColumn("ended_at", big)
    .execute();
  await db.schema.createIndex("pilots_status").on("pilots").columns(["status", "heartbeat_at"]).execute();

  await db.schema
    .createTable("queues")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("backend", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("bundles")
    .addColumn("hash", "text", (c) => c.primaryKey())
    .addColumn("size", big, (c) => c.notNull())
    .addColumn("content", blob, (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .execute();
}
