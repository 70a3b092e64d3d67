import type { Kysely } from "kysely";
import type { DialectName } from "../dialect.js";

/**
 * Sites (Harvester's role at a remote cluster): a site agent registers its queues and starts their pilots.
 * Queues and workers say which site they belong to (null: the server's own); workers the server starts say
 * which replica started them, so that a replica watches only its own local pilots. Tokens may belong to a
 * site (a site agent's, or the pilot token the server issues to a site's pilots) and may expire.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("sites")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("heartbeat_at", big, (c) => c.notNull())
    .execute();
  await db.schema.alterTable("queues").addColumn("site", "text").execute();
  await db.schema.alterTable("workers").addColumn("site", "text").execute();
  await db.schema.alterTable("workers").addColumn("owner", "text").execute();
  await db.schema.alterTable("tokens").addColumn("site", "text").execute();
  await db.schema.alterTable("tokens").addColumn("expires_at", big).execute();
}
