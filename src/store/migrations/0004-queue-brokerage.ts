import { sql, type Kysely } from "../../vendor/kysely.js";
import type { DialectName } from "../dialect.js";

/**
 * Brokerage: a queue keeps its whole definition (cores, memory and walltime windows, pilots…) and the
 * status its file last gave it; a task keeps what it needs and the queues it named, and waits as
 * `pending`, with the reason, while no queue can take it (its jobs stay `defined`, on no queue).
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === "postgres" ? "bigint" : "integer";
  await db.schema.alterTable("queues").addColumn("definition", "text").execute();
  await db.schema.alterTable("queues").addColumn("file_status", "text").execute();
  await db.schema.alterTable("tasks").addColumn("cores", big, (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable("tasks").addColumn("memory_mb", big, (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("tasks").addColumn("walltime_s", big, (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("tasks").addColumn("named_queues", "text", (c) => c.notNull().defaultTo("[]")).execute();
  await db.schema.alterTable("tasks").addColumn("pending_reason", "text").execute();
  await db.schema
    .createIndex("tasks_pending")
    .on("tasks")
    .columns(["id"])
    .where(sql.ref("status"), "=", "pending")
    .execute();
}
