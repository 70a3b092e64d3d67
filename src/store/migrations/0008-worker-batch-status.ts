import type { Kysely } from "kysely";

/**
 * A worker keeps what its batch system last said of its job (pending or running, and why it is pending),
 * so the API, `pando queues`, the monitor and the task views can show why pilots do not come. The queue's
 * latest worker is found by (queue, id): whether the server could submit its last pilot at all.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("workers").addColumn("batch_state", "text").execute();
  await db.schema.alterTable("workers").addColumn("batch_reason", "text").execute();
  await db.schema.createIndex("workers_queue_id").on("workers").columns(["queue", "id"]).execute();
}
