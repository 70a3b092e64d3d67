import { sql, type Kysely } from "../../vendor/kysely.js";
import type { DialectName } from "../dialect.js";

/**
 * Durable drivers: a workflow remembers its driver task (remote mode), the last sign of life of its driver
 * (local mode), its random seed and the hash of its arguments; each task its kind and the hash of its
 * arguments, unique per (workflow, call number) so a re-run driver attaches instead of submitting twice;
 * steps keep values a driver computed once.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === "postgres" ? "bigint" : "integer";
  await db.schema.alterTable("workflows").addColumn("driver_task_id", big).execute();
  await db.schema.alterTable("workflows").addColumn("driver_heartbeat_at", big).execute();
  await db.schema.alterTable("workflows").addColumn("seed", big, (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("workflows").addColumn("args_hash", "text").execute();
  await db.schema.alterTable("tasks").addColumn("kind", "text", (c) => c.notNull().defaultTo("work")).execute();
  await db.schema.alterTable("tasks").addColumn("args_hash", "text").execute();
  await db.schema
    .createIndex("tasks_memo")
    .on("tasks")
    .columns(["workflow_id", "seq"])
    .unique()
    .where(sql.ref("seq"), "is not", null)
    .execute();
  await db.schema
    .createTable("steps")
    .addColumn("workflow_id", big, (c) => c.notNull().references("workflows.id"))
    .addColumn("seq", big, (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .addPrimaryKeyConstraint("steps_pk", ["workflow_id", "seq"])
    .execute();
  // Local drivers that stop sending heartbeats are found by this sweep.
  await db.schema
    .createIndex("workflows_open")
    .on("workflows")
    .columns(["driver_heartbeat_at"])
    .where(sql.ref("closed_at"), "is", null)
    .execute();
}
