import type { Kysely } from "kysely";
import type { DialectName } from "../dialect.js";

/**
 * When each pilot was last heard from, apart from its row in `pilots`: the server writes the heartbeats it
 * answered in one batched statement per short interval, and a new task's hand-out, which share-locks the
 * waiting pilots' rows, never locks this table, so the two cannot deadlock. A pilot with no row here was
 * last heard from at its registration (`pilots.heartbeat_at`).
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("pilot_heartbeats")
    .addColumn("pilot_id", big, (c) => c.primaryKey())
    .addColumn("heard_at", big, (c) => c.notNull())
    .execute();
}
