import type { Kysely } from "kysely";
import type { DialectName } from "../dialect.js";

/**
 * Provisioning (Harvester's workers): each pilot the server starts on a queue's backend is a worker with
 * its batch id (a process id, a Slurm job id), so the server can watch it, cancel it, and notice it died.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === "postgres" ? "bigint" : "integer";
  const id = dialect === "postgres" ? "bigserial" : "integer";
  await db.schema
    .createTable("workers")
    .addColumn("id", id, (c) => c.primaryKey())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("backend", "text", (c) => c.notNull())
    .addColumn("batch_id", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("ended_at", big)
    .execute();
  await db.schema.createIndex("workers_live").on("workers").columns(["queue", "status"]).execute();
  await db.schema.alterTable("pilots").addColumn("worker_id", big).execute();
}
