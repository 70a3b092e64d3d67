import type { Kysely } from "kysely";

/**
 * Results over a message broker: each task gets a channel (the suffix of its result topic) and a key that
 * signs its result messages; each job records which path its final state came by ("broker" or "rest").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("tasks").addColumn("channel", "text").execute();
  await db.schema.alterTable("tasks").addColumn("result_key", "text").execute();
  await db.schema.alterTable("jobs").addColumn("result_via", "text").execute();
}
